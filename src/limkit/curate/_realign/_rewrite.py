"""The `realign` step: the LLM rewrites each response into its task's format, changing form, not meaning.

The prompt (limkit's wording of the paper's rules, A.5): decide first whether the format suits the
question and, if not, keep the response as it is (the adaptive rule; `adaptive: false` drops it, the
paper's ablation); change only the structure; keep every fact and the final answer; no extra headings;
use whatever retrieved evidence helps. The reply is a JSON object checked against a schema through
`limkit.llm` structured answers, so an unparseable reply is re-asked with the reason, at most
`attempts` times in all, and then counted and left out (the released code retried forever, A.9.3).

`n` samples are drawn per record; each is stored as a candidate and `realign_filter` picks one (or
keeps the original). Records whose task has no format, or that have no response, are not sent at all.
Every sample lands in the request cache as it arrives, so a killed run resumes without asking again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._llm import ModelSpec
from limkit.curate._options import OptionError, doc
from limkit.curate._realign._shapes import response_of
from limkit.curate._realign._taxonomy import DEFAULT_TASK, load_formats
from limkit.curate._record import Record
from limkit.curate._step import Step, file_stamps, register_step
from limkit.progress import progress_bar

RULES = (
    "Change only the structure and presentation. Keep every piece of information, every number and the "
    "meaning of the original response.",
    "The revised response must still answer the question correctly, with the same final answer.",
    "Write fluently. Do not add headings or sections the format does not ask for, and do not mention "
    "the format or these instructions.",
)
ADAPTIVE_RULE = (
    "First judge whether the format suits this question and response. If it does not, set "
    '"format_fits" to false and give the original response unchanged as "revised_response".'
)
EVIDENCE_RULE = (
    "Use the parts of the evidence that help (correct facts, add missing detail); ignore the rest."
)


def reply_schema(adaptive: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"reasoning": {"type": "string"}, "revised_response": {"type": "string"}}
    if adaptive:
        properties["format_fits"] = {"type": "boolean"}
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def system_prompt(adaptive: bool, with_evidence: bool) -> str:
    rules = [ADAPTIVE_RULE] if adaptive else []
    rules += list(RULES) + ([EVIDENCE_RULE] if with_evidence else [])
    numbered = "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, start=1))
    keys = (
        '"reasoning", "format_fits" and "revised_response"'
        if adaptive
        else '"reasoning" and "revised_response"'
    )
    return (
        "You rewrite the format of an AI assistant's response so that it follows the format given for "
        f"its task.\nRules:\n{numbered}\nReply with only a JSON object with the keys {keys}."
    )


def user_prompt(question: str, response: str, format_text: str, evidence: list[dict[str, Any]] | None) -> str:
    parts = [
        f"[Question]\n{question}\n[End of question]",
        f"[Response]\n{response}\n[End of response]",
        f"[Format]\n{format_text}\n[End of format]",
    ]
    if evidence:
        numbered = "\n\n".join(f"[{item['n']}] {item['text']}" for item in evidence)
        parts.append(f"[Evidence]\n{numbered}\n[End of evidence]")
    return "\n\n".join(parts)


@register_step("realign")
@dataclass
class Realign(Step):
    """Samples `n` format rewrites per record through an LLM (candidates for `realign_filter`)."""

    model: ModelSpec | None = dataclasses.field(
        default=None, metadata=doc("The rewriting LLM: {model, backend, base_url, ...}.")
    )
    n: int = dataclasses.field(default=2, metadata=doc("Rewrites sampled per record (the paper: 2)."))
    temperature: float = dataclasses.field(default=0.3, metadata=doc("Sampling temperature (paper: 0.3)."))
    top_p: float = dataclasses.field(default=1.0, metadata=doc("Nucleus sampling mass."))
    max_tokens: int = dataclasses.field(default=2048, metadata=doc("Token cap per rewrite."))
    seed: int = dataclasses.field(default=0, metadata=doc("Sample i uses seed + i where supported."))
    attempts: int = dataclasses.field(
        default=3, metadata=doc("Asks in all per sample for an unparseable reply (bounded retries).")
    )
    adaptive: bool = dataclasses.field(
        default=True, metadata=doc("Let the model keep the response when the format does not fit.")
    )
    formats_file: str | None = dataclasses.field(
        default=None, metadata=doc("YAML of task: format text laid over the packaged formats (null: remove).")
    )
    rewrite_default: bool = dataclasses.field(
        default=False, metadata=doc("Also rewrite `default` records when a format for it is given.")
    )

    def validate(self) -> None:
        if self.model is None:
            raise OptionError(
                "model", "name the rewriting model: {model: NAME, backend: openai, base_url: URL}"
            )
        if self.n < 1 or self.max_tokens < 1:
            raise OptionError("n", "n and max_tokens must be >= 1")
        if not 1 <= self.attempts <= 20:
            raise OptionError("attempts", f"must lie in 1..20, got {self.attempts}")

    def check(self) -> None:
        from limkit.errors import LimkitError

        assert self.model is not None
        try:
            self.model.check()
        except OptionError as error:
            raise OptionError(f"model.{error.option}", error.message) from None
        try:
            load_formats(self.formats_file)
        except LimkitError as error:
            raise OptionError("formats_file", error.render()) from None

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        assert self.model is not None
        options["model"] = self.model.identity()
        if self.formats_file:
            options["_formats"] = file_stamps(Path(self.formats_file))
        return options

    def shard_count(self, requested: int) -> int:
        return 1 if self.model is not None and self.model.backend in ("hf", "vllm") else requested

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        formats = load_formats(self.formats_file)
        requests, skipped = [], {}
        for record in items:
            status = self._skip_reason(record, formats)
            if status:
                skipped[record["id"]] = status
            else:
                requests.append(self._request(record, formats[record["task"]]))
        candidates = self._sample(requests) if requests else {}
        for record in items:
            if record["id"] in skipped:
                self.count(f"skipped.{skipped[record['id']]}")
                yield {**record, "realign": {"status": skipped[record["id"]]}}
            else:
                yield {**record, "realign": {"status": "sampled", "candidates": candidates[record["id"]]}}

    def _skip_reason(self, record: Record, formats: dict[str, str]) -> str | None:
        response = response_of(record)
        task = record.get("task", DEFAULT_TASK)
        if response is None or not response.strip():
            return "no_response"
        if task == DEFAULT_TASK and not self.rewrite_default:
            return "default_task"
        if task not in formats:
            return "no_format"
        return None

    def _request(self, record: Record, format_text: str) -> Any:
        from limkit.llm import JsonSchema, Request, SamplingParams

        evidence = record.get("evidence") or None
        messages = (
            {"role": "system", "content": system_prompt(self.adaptive, bool(evidence))},
            {
                "role": "user",
                "content": user_prompt(record["problem"], response_of(record) or "", format_text, evidence),
            },
        )
        params = SamplingParams(
            n=self.n,
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            seed=self.seed,
        )
        schema = JsonSchema(reply_schema(self.adaptive), name="realign", attempts=self.attempts)
        return Request(id=record["id"], messages=messages, params=params, structured=schema)

    def _sample(self, requests: list[Any]) -> dict[str, list[dict[str, Any]]]:
        assert self.model is not None
        generator = self.model.generator(self.context.cache_path)
        out: dict[str, list[dict[str, Any]]] = {request.id: [] for request in requests}
        total = sum(request.params.n for request in requests)
        with progress_bar(total, f"realign ({self.model.label})") as advance:
            completions = generator.generate_all(requests, lambda _: advance(1))
        for completion in sorted(completions, key=lambda c: (c.request_id, c.sample)):
            out[completion.request_id].append(_candidate(completion))
            self.count("samples_unparseable" if not completion.ok else "samples_parsed")
            self.count("asks", completion.attempts)
        self.count("samples_generated", generator.stats.generated)
        self.count("samples_cached", generator.stats.cached)
        return out


def _candidate(completion: Any) -> dict[str, Any]:
    if not completion.ok:
        return {
            "sample": completion.sample,
            "parsed": False,
            "attempts": completion.attempts,
            "failure": completion.failure.reason[:200],
            "raw": completion.text[:500],
        }
    value = completion.value
    return {
        "sample": completion.sample,
        "parsed": True,
        "attempts": completion.attempts,
        "reasoning": str(value.get("reasoning", ""))[:2000],
        "format_fits": bool(value.get("format_fits", True)),
        "response": str(value["revised_response"]),
        "finish_reason": completion.finish_reason,
    }
