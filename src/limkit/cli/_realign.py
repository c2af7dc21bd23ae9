"""`limkit realign train-classifier FILE --out DIR [--test FILE]`: the ReAlign embedding task classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose

realign_app = typer.Typer(
    name="realign",
    help="ReAlign helpers (the pipeline itself runs as `limkit curate recipes/realign.yaml`).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@realign_app.command("train-classifier")
def train_classifier_command(
    train: Annotated[Path, typer.Argument(help="Labelled JSONL: {instruction, category} per row.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the trained classifier.")],
    test: Annotated[
        Path | None, typer.Option("--test", help="Labelled JSONL to report accuracy and confusions on.")
    ] = None,
    c: Annotated[float, typer.Option("--c", help="Inverse L2 regularisation strength.")] = 10.0,
    verbose: Verbose = False,
) -> None:
    """Embeds the instructions (offline MiniLM), fits a logistic regression, saves it for `classify_task`.

    With --test, prints accuracy, the majority-class baseline, per-group accuracy and the top confusions,
    and writes them to DIR/evaluation.json.
    """
    from limkit.curate import TaskClassifier, train_classifier
    from limkit.curate._realign._classifier import evaluate
    from limkit.data import atomic_write_text
    from limkit.progress import library_output, stderr_console

    with library_output(verbose):
        classifier = train_classifier(train, c=c)
        classifier.save(out)
        if test is None:
            stderr_console.print(f"trained on {classifier.info['train_rows']} rows; saved to {out}")
            return
        report = evaluate(TaskClassifier.load(out), test)
    atomic_write_text(out / "evaluation.json", json.dumps(report, indent=2) + "\n")
    typer.echo(_summary(report))


def _summary(report: dict[str, object]) -> str:
    lines = [
        f"test accuracy {report['accuracy']:.3f} on {report['rows']} rows "
        f"(majority class {report['majority_label']}: {report['majority_rate']:.3f}; "
        f"right group {report['group_accuracy']:.3f})",
        "per group:",
    ]
    by_group = report["by_group"]
    assert isinstance(by_group, dict)
    for group, counts in by_group.items():
        lines.append(f"  {group}: {counts['correct']}/{counts['rows']}")
    lines.append("most frequent confusions (gold -> predicted):")
    confusions = report["top_confusions"]
    assert isinstance(confusions, list)
    lines.extend(f"  {c['gold']} -> {c['predicted']}: {c['count']}" for c in confusions)
    return "\n".join(lines)
