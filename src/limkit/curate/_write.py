"""The `write` step: the kept records as training data, as JSONL and as a `save_to_disk` dataset.

`format: chat` (the default) writes `{"id", "messages": [system?, user, assistant], ...}` rows with the
assistant turn taken from the selected chain (or the reference solution), the format TRL's SFTTrainer
reads directly; a record with no assistant text is dropped here (with that reason) rather than written
as an empty turn. `format: pool` writes the filtered problems themselves (`{"id", "problem", "answer",
...}`), for a recipe without a distill step: an RL pool, or problems to distill elsewhere.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, get_path, text_at
from limkit.curate._step import Step, register_step
from limkit.data import write_jsonl

FORMATS = ("chat", "pool")


@register_step("write")
@dataclass
class Write(Step):
    """Writes the kept records as SFT chat rows (or as a plain problem pool), JSONL and save_to_disk."""

    needs_finalize = True

    format: str = dataclasses.field(
        default="chat",
        metadata=doc(
            "chat: SFT chat rows (need a chain or solution); pool: the filtered problems, no assistant turn.",
            choices=FORMATS,
        ),
    )
    jsonl: str | None = dataclasses.field(
        default=None,
        metadata=doc("JSONL file relative to the output directory (null: sft.jsonl, or pool.jsonl)."),
    )
    dataset_dir: str | None = dataclasses.field(
        default="auto",
        metadata=doc("HF dataset directory (save_to_disk); auto: sft_dataset or pool_dataset; null: none."),
    )
    system: str | None = dataclasses.field(
        default=None, metadata=doc("System message for every row (null: none).")
    )
    user: str = dataclasses.field(
        default="{problem}", metadata=doc("User turn template; {problem} is replaced by the problem.")
    )
    assistant_field: str = dataclasses.field(
        default="chain", metadata=doc("Assistant text: a text field or a chain dict (dotted path).")
    )
    fallback_field: str | None = dataclasses.field(
        default="solution", metadata=doc("Used when `assistant_field` is empty (null: none).")
    )
    keep_fields: list[str] = dataclasses.field(
        default_factory=lambda: ["answer", "source", "domain", "score"],
        metadata=doc("Record fields copied to each row (pool rows also keep problem and solution)."),
    )

    @property
    def jsonl_name(self) -> str:
        return self.jsonl or f"{self._stem}.jsonl"

    @property
    def dataset_name(self) -> str | None:
        return f"{self._stem}_dataset" if self.dataset_dir == "auto" else self.dataset_dir

    @property
    def _stem(self) -> str:
        return "sft" if self.format == "chat" else "pool"

    def validate(self) -> None:
        if "{problem}" not in self.user:
            raise OptionError("user", "the user template must contain {problem}")
        for name, value in (("jsonl", self.jsonl_name), ("dataset_dir", self.dataset_name)):
            if value and Path(value).is_absolute():
                raise OptionError(name, "give a path relative to the output directory")

    def _assistant(self, record: Record) -> str | None:
        for field in (self.assistant_field, self.fallback_field):
            text = text_at(record, field) if field else None
            if text and text.strip():
                return text
        return None

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        for record in records:
            if self.format == "chat" and self._assistant(record) is None:
                yield self.drop(
                    record,
                    "no_assistant_text",
                    fields=[self.assistant_field, self.fallback_field],
                    hint="no chain or solution to train on; format: pool writes the problems instead",
                )
            else:
                yield record

    def row(self, record: Record) -> dict[str, Any]:
        return self.chat_row(record) if self.format == "chat" else self.pool_row(record)

    def pool_row(self, record: Record) -> dict[str, Any]:
        row: dict[str, Any] = {"id": record["id"], "problem": record["problem"]}
        for field in ("answer", "solution", *self.keep_fields):
            value = get_path(record, field)
            if value is not None:
                row[field.replace(".", "_")] = value
        return row

    def chat_row(self, record: Record) -> dict[str, Any]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.append({"role": "user", "content": self.user.replace("{problem}", record["problem"])})
        messages.append({"role": "assistant", "content": self._assistant(record) or ""})
        row: dict[str, Any] = {"id": record["id"], "messages": messages}
        for field in self.keep_fields:
            value = get_path(record, field)
            if value is not None:
                row[field.replace(".", "_")] = value
        return row

    def finalize(self, records: Iterable[Record]) -> None:
        rows = [self.row(record) for record in records]
        out_dir = self.context.out_dir
        written = write_jsonl(out_dir / self.jsonl_name, rows)
        self.count("rows_written", written)
        self.note("jsonl", str(out_dir / self.jsonl_name))
        if self.dataset_name:
            save_dataset(rows, out_dir / self.dataset_name)
            self.note("dataset_dir", str(out_dir / self.dataset_name))


def save_dataset(rows: list[dict[str, Any]], target: Path) -> None:
    """`save_to_disk` into a temporary sibling, then swap it in: no half-written dataset directory."""
    import datasets

    staging = target.with_name(f".{target.name}.tmp")
    if staging.exists():
        shutil.rmtree(staging)
    datasets.Dataset.from_list(rows).save_to_disk(str(staging))
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old)
    else:
        os.replace(staging, target)
