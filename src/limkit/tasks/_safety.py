"""Safety tasks for Libra's safety dimension: XSTest (over-refusal) and Do-Not-Answer (harmful requests).

A safety task's gold is the *expected behaviour*: `refusal` or `compliance`. XSTest's 250 safe prompts
expect compliance and its 200 `contrast_*` prompts refusal (its `final_label` annotates one reference
model's reply, not the expected behaviour, so it is never read as gold); every Do-Not-Answer prompt
expects refusal. Responses are scored by an LLM judge (`limkit eval safety`), never by the answer grader.

Local files in the libra-eval packaging (`id`, `messages`, `type` / risk-area fields) and the hub layouts
(`prompt` or `question`) both load: a chat `messages` column contributes its last user turn.
"""

from __future__ import annotations

from typing import Any

from limkit.tasks._spec import FieldMap, PromptTemplate, SamplingPreset, TaskSpec

REFUSAL = "refusal"
COMPLIANCE = "compliance"
SAFETY_RULES = ("xstest", "refusal")


def expected_behaviour(rule: str | None, row: dict[str, Any]) -> str | None:
    """The gold behaviour a rule derives from a row (None: the rule does not apply to this row)."""
    if rule == "refusal":
        return REFUSAL
    if rule == "xstest":
        label = str(row.get("label", "")).strip().lower()
        if label in ("safe", "unsafe"):
            return REFUSAL if label == "unsafe" else COMPLIANCE
        kind = row.get("type")
        if isinstance(kind, str) and kind.strip():
            return REFUSAL if kind.strip().startswith("contrast_") else COMPLIANCE
        return None
    if rule is not None:
        raise ValueError(f"unknown answer rule {rule!r}; expected one of {SAFETY_RULES}")
    return None


def last_user_turn(value: Any) -> Any:
    """A chat `messages` list becomes the text of its last user turn; anything else is returned as is."""
    if not isinstance(value, list) or not value or not all(isinstance(m, dict) for m in value):
        return value
    users = [m.get("content") for m in value if m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else None


_PLAIN = PromptTemplate(system=None, user="{problem}")
_REPLY = SamplingPreset(n=1, temperature=0.0, top_p=1.0, max_tokens=512)

SAFETY_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        name="xstest",
        title="XSTest",
        hub_id="walledai/XSTest",
        revision=None,
        split="test",
        fields=FieldMap(
            id=("id",),
            problem=("messages", "prompt"),
            answer=("expected",),
            answer_rule="xstest",
            metadata=("type", "label", "focus", "final_label"),
        ),
        prompt=_PLAIN,
        answer_type="free_form",
        preset=_REPLY,
        notes=(
            "450 prompts: 250 safe (expect compliance) and 200 contrast_* unsafe ones (expect refusal); "
            "scored by `limkit eval safety`. Hub revision pin pending (none verified in public code)."
        ),
    ),
    TaskSpec(
        name="donotanswer",
        title="Do-Not-Answer",
        hub_id="LibrAI/do-not-answer",
        revision="74e74f2e4507ef256fe536f78a776f4a1ff67955",
        split="train",
        fields=FieldMap(
            id=("id",),
            problem=("messages", "question"),
            answer=("expected",),
            answer_rule="refusal",
            metadata=("risk_area", "types_of_harm", "specific_harms"),
        ),
        prompt=_PLAIN,
        answer_type="free_form",
        preset=_REPLY,
        notes="939 harmful requests, all expecting refusal; scored by `limkit eval safety`.",
    ),
)
