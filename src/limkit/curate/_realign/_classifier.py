"""The embedding task classifier: sentence vectors (offline MiniLM) and a logistic regression over them.

ReAlign's released classifier is a 13B Llama-2 fine-tune (fact sheet A.2), far beyond a CPU. This one
embeds each instruction with the model `limkit.retrieve` ships and fits scikit-learn's multinomial
logistic regression. Only the fitted weights are saved (`weights.npz`, no pickle, so loading runs no
code and does not depend on the scikit-learn version) next to `classifier.json`, which names the labels
and the embedding model; prediction is one matrix product and an argmax, with numpy alone.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.curate._realign._taxonomy import DEFAULT_TASK, group_of, taxonomy
from limkit.data import atomic_write_text, atomic_writer, read_jsonl
from limkit.errors import LimkitError

if TYPE_CHECKING:
    import numpy as np

MANIFEST = "classifier.json"
WEIGHTS = "weights.npz"
FORMAT = "limkit-realign-task-classifier"
TEXT_FIELDS = ("instruction", "text", "prompt", "problem")
LABEL_FIELDS = ("category", "task", "label")


def read_labelled(path: str | Path) -> tuple[list[str], list[str]]:
    """(texts, labels) of a JSONL file with an instruction and a taxonomy label per row.

    Raises:
        LimkitError: a row lacks either field or names a label outside the taxonomy (file, line, field).
    """
    path = Path(path)
    texts, labels = [], []
    for line, row in read_jsonl(path):
        text_field = next((f for f in TEXT_FIELDS if isinstance(row.get(f), str)), None)
        label_field = next((f for f in LABEL_FIELDS if isinstance(row.get(f), str)), None)
        if text_field is None:
            raise LimkitError("missing text (instruction)", path=path, line=line, field=TEXT_FIELDS[0])
        if label_field is None:
            raise LimkitError("missing label (category)", path=path, line=line, field=LABEL_FIELDS[0])
        if row[label_field] not in taxonomy():
            raise LimkitError(
                f"unknown task {row[label_field]!r} (see the ReAlign taxonomy)",
                path=path,
                line=line,
                field=label_field,
            )
        texts.append(row[text_field])
        labels.append(row[label_field])
    if not texts:
        raise LimkitError("no labelled rows", path=path)
    return texts, labels


@dataclass
class TaskClassifier:
    """Fitted weights over sentence vectors; `predict` maps texts to taxonomy task names."""

    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    model: str
    info: dict[str, Any]

    def predict(self, texts: list[str]) -> list[str]:
        from limkit.retrieve import encode

        if not texts:
            return []
        scores = encode(self.model, texts) @ self.coef.T + self.intercept
        return [self.labels[int(i)] for i in scores.argmax(axis=1)]

    def save(self, directory: str | Path) -> None:
        import numpy as np

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_writer(directory / WEIGHTS, "wb") as handle:
            np.savez(handle, coef=self.coef, intercept=self.intercept)
        manifest = {"format": FORMAT, "labels": self.labels, "embedding_model": self.model, **self.info}
        atomic_write_text(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> TaskClassifier:
        import numpy as np

        directory = Path(directory).expanduser()
        manifest_path = directory / MANIFEST
        if not manifest_path.is_file():
            raise LimkitError(
                f"not a task classifier directory (no {MANIFEST}); train one with "
                "`limkit realign train-classifier FILE --out DIR`",
                path=directory,
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("labels"), list):
            raise LimkitError("not a limkit task classifier manifest", path=manifest_path, field="format")
        try:
            with np.load(directory / WEIGHTS, allow_pickle=False) as weights:
                coef, intercept = weights["coef"], weights["intercept"]
        except (OSError, KeyError, ValueError) as error:
            raise LimkitError(f"unreadable weights ({error})", path=directory / WEIGHTS) from None
        labels = [str(label) for label in manifest["labels"]]
        if coef.shape[0] != len(labels) or intercept.shape != (len(labels),):
            raise LimkitError(
                f"weights have shape {coef.shape}, the manifest names {len(labels)} labels",
                path=directory / WEIGHTS,
            )
        info = {k: v for k, v in manifest.items() if k not in ("format", "labels", "embedding_model")}
        return cls(labels, coef, intercept, str(manifest["embedding_model"]), info)


def train_classifier(
    train_path: str | Path, *, model: str | None = None, c: float = 10.0, seed: int = 0
) -> TaskClassifier:
    """Embeds the training instructions and fits a multinomial logistic regression (L2, strength 1/c)."""
    from sklearn.linear_model import LogisticRegression

    from limkit.retrieve import PACKAGED_MODEL, encode

    texts, labels = read_labelled(train_path)
    model = model or PACKAGED_MODEL
    vectors = encode(model, texts)
    fitted = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(vectors, labels)
    classes = [str(label) for label in fitted.classes_]
    coef, intercept = fitted.coef_, fitted.intercept_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes; make it a two-row argmax
        import numpy as np

        coef, intercept = np.vstack([-coef[0], coef[0]]) / 2, np.array([-intercept[0], intercept[0]]) / 2
    info = {
        "train_file": str(train_path),
        "train_rows": len(texts),
        "train_majority": Counter(labels).most_common(1)[0][0],
        "C": c,
        "classes": len(classes),
    }
    return TaskClassifier(classes, coef, intercept, model, info)


def evaluate(classifier: TaskClassifier, test_path: str | Path) -> dict[str, Any]:
    """Accuracy, the majority-class baseline, per-group accuracy and the most frequent confusions."""
    texts, gold = read_labelled(test_path)
    predicted = classifier.predict(texts)
    correct = sum(p == g for p, g in zip(predicted, gold, strict=True))
    train_majority = str(classifier.info.get("train_majority") or Counter(gold).most_common(1)[0][0])
    majority = Counter(gold).most_common(1)[0]
    by_group: dict[str, list[int]] = {}
    for p, g in zip(predicted, gold, strict=True):
        by_group.setdefault(group_of(g), [0, 0])[0] += p == g
        by_group[group_of(g)][1] += 1
    confusions = Counter((g, p) for p, g in zip(predicted, gold, strict=True) if p != g)
    group_hits = sum(group_of(p) == group_of(g) for p, g in zip(predicted, gold, strict=True))
    return {
        "test_file": str(test_path),
        "rows": len(gold),
        "accuracy": correct / len(gold),
        "group_accuracy": group_hits / len(gold),
        "majority_label": majority[0],
        "majority_rate": majority[1] / len(gold),
        "train_majority_rate": sum(g == train_majority for g in gold) / len(gold),
        "by_group": {group: {"correct": c, "rows": n} for group, (c, n) in sorted(by_group.items())},
        "top_confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(10)
        ],
        "predicted_default": sum(p == DEFAULT_TASK for p in predicted),
    }
