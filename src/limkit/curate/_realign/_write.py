"""The `realign_write` step: the realigned data in the input's own shape, and as chat JSONL for SFT.

Every record is written (ReAlign never drops one): its source row with the response replaced by the
chosen rewrite or left as it was, plus `realign: {tag, reason, task}`; the chat file holds
`{"id", "messages", "tag", "reason", "task"}` rows that TRL's SFTTrainer reads directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._options import OptionError, doc
from limkit.curate._realign._shapes import chat_messages, response_of, with_response
from limkit.curate._record import Record
from limkit.curate._step import Step, register_step
from limkit.data import write_jsonl


def final_response(record: Record) -> str:
    state = record.get("realign") or {}
    text = state.get("response")
    return text if isinstance(text, str) else response_of(record) or ""


def tag_of(record: Record) -> dict[str, Any]:
    state = record.get("realign") or {}
    return {
        "tag": state.get("tag", "original"),
        "reason": state.get("reason", "not_filtered"),
        "task": record.get("task", "default"),
    }


@register_step("realign_write")
@dataclass
class RealignWrite(Step):
    """Writes the realigned records in the input's shape and as SFT chat rows (both JSONL)."""

    needs_finalize = True

    jsonl: str = dataclasses.field(
        default="realigned.jsonl", metadata=doc("Same-shape output, relative to the output directory.")
    )
    chat_jsonl: str | None = dataclasses.field(
        default="realign_sft.jsonl", metadata=doc("Chat JSONL for SFT (null: none).")
    )

    def validate(self) -> None:
        for name, value in (("jsonl", self.jsonl), ("chat_jsonl", self.chat_jsonl)):
            if value and Path(value).is_absolute():
                raise OptionError(name, "give a path relative to the output directory")

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        yield from records

    def finalize(self, records: Iterable[Record]) -> None:
        items = list(records)
        out_dir = self.context.out_dir
        rows = [{**with_response(r, final_response(r)), "realign": tag_of(r)} for r in items]
        self.count("rows_written", write_jsonl(out_dir / self.jsonl, rows))
        self.note("jsonl", str(out_dir / self.jsonl))
        if self.chat_jsonl:
            chats = [
                {"id": r["id"], "messages": chat_messages(r, final_response(r)), **tag_of(r)} for r in items
            ]
            write_jsonl(out_dir / self.chat_jsonl, chats)
            self.note("chat_jsonl", str(out_dir / self.chat_jsonl))
