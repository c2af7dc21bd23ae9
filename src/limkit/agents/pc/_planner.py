"""The planner: one request per step (the current screenshot + limkit's own instructions), one action back.

PC Agent's planner (fact sheet notes/papers/pc_agent.md, section 4) sees the screen, the task and the last
ten steps, thinks, and names exactly one action in the *planned* dialect of the grammar: clicks name an
element by description (a grounder turns it into a point), everything else is spelt as the tracker records
it. The prompt here is written anew; it keeps the paper's structure (actions, reply format, task, history,
failed descriptions, question) but none of its wording.

Two departures from the released agent, both deliberate:
- the history shows a click as the planner said it (`click element: DESC`), not as the executed
  coordinates: the planner never sees coordinates, so a description is what it can relate to the screen;
- replies are parsed strictly: everything after the first `Action:` must be exactly one planned action
  (`parse_action`), and a coordinate click, `press (x, y)` or `drag to (x, y)` is refused, since the planner
  has no coordinates to give. An unparseable reply is re-asked with the reason (a new prompt, hence a new
  cache key), up to `retries` times; each one is counted, and the step fails cleanly after the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from limkit.agents.pc._actions import KINDS, Action, ActionSyntaxError, format_action, parse_action
from limkit.llm import Generator, Request, SamplingParams, Usage, image_part

HISTORY_STEPS = 10
PLANNED_KINDS = tuple(kind for kind in KINDS if kind not in ("press", "drag to"))

_INSTRUCTIONS = """\
You operate a Linux desktop for the user, one action at a time. The image is the screen as it is now.
Look at it, decide what the single next action is, and answer in this form:

<your reasoning about the screen and the next step, a few sentences>

Action: <exactly one action, written as below>

The actions you can take (DESC = a short description of one element on the screen, such as its label and
kind, e.g. the "Save" button; x, y = screen pixels; K = a key name such as enter, esc, tab, backspace,
delete, up, page_down, f5, ctrl, shift, alt, super, or one character):
  click element: DESC
  right click element: DESC
  double click element: DESC
  drag from (x1, y1) to (x2, y2)
  scroll (dx, dy)          one notch per unit; dy > 0 scrolls up, dx > 0 scrolls right
  press key: K
  hotkey (K1, K2)          keys held together, e.g. hotkey (ctrl, s); three keys are allowed too
  type text: T             types T into the focused element (everything after "type text: ")
  wait                     the screen is still changing
  finish                   the task is done
  fail                     the task cannot be done

Write nothing after the action. Say finish as soon as the task is done."""


@dataclass(frozen=True)
class HistoryEntry:
    """One earlier step as the planner sees it: its thought and the action it planned."""

    thought: str
    action: str


@dataclass
class Plan:
    """The planner's answer for one step. `action` is None when no reply parsed within the retries."""

    thought: str
    action: Action | None
    raw: str
    prompt: str
    requests: int = 0
    parse_failures: int = 0
    errors: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


class PlannerReplyError(ActionSyntaxError):
    """A planner reply that is not "thought ... Action: <one planned action>"."""


def build_prompt(
    task: str,
    history: Sequence[HistoryEntry],
    failed: Sequence[str] = (),
    problem: str | None = None,
) -> str:
    """The text part of a planner request. `failed` lists click descriptions no grounder could find on
    this screen; `problem` says why the previous reply for this step was refused."""
    parts = [_INSTRUCTIONS, f"The task: {task}"]
    recent = list(history)[-HISTORY_STEPS:]
    if recent:
        first = len(history) - len(recent) + 1
        lines = [
            f"Step {first + k}: {entry.thought}\nAction: {entry.action}" for k, entry in enumerate(recent)
        ]
        parts.append("What you did so far (oldest first):\n" + "\n\n".join(lines))
    else:
        parts.append("You have not acted yet.")
    if failed:
        named = "\n".join(f"- {description}" for description in failed)
        parts.append(
            "These elements could not be found on the screen, so their clicks were not made:\n"
            f"{named}\nPlan again: describe the element differently or choose another action."
        )
    if problem:
        parts.append(
            f"Your previous answer for this step was refused: {problem}. Answer again in the form above."
        )
    parts.append("What is the next action?")
    return "\n\n".join(parts)


def parse_reply(reply: str) -> tuple[str, Action]:
    """(thought, action) from "thought ... Action: <one planned action>"; `PlannerReplyError` otherwise.

    The action is everything after the first "Action:", trailing whitespace removed (so a reply's final
    newline is never typed); it must be one action of the planned dialect."""
    thought, marker, rest = reply.partition("Action:")
    if not marker:
        raise PlannerReplyError("no 'Action:' line")
    if "Action:" in rest:
        raise PlannerReplyError("more than one 'Action:'; give exactly one action")
    text = rest.strip() if not rest.lstrip().startswith("type text: ") else rest.lstrip().rstrip()
    if not text:
        raise PlannerReplyError("nothing after 'Action:'")
    try:
        action = parse_action(text)
    except ActionSyntaxError as error:
        raise PlannerReplyError(str(error)) from None
    if action.kind not in PLANNED_KINDS or (action.is_click and action.target is None):
        raise PlannerReplyError(
            f"{text[:80]!r} is a recorded action; clicks name an element: 'click element: DESC'"
        )
    return thought.strip(), action


class Planner:
    """Asks `generator` for the next action; `retries` re-asks after an unparseable reply."""

    def __init__(self, generator: Generator, params: SamplingParams | None = None, retries: int = 2) -> None:
        self.generator = generator
        self.params = params or SamplingParams(temperature=0.8, max_tokens=512)
        self.retries = retries

    def plan(
        self,
        request_id: str,
        task: str,
        screenshot: Path,
        history: Sequence[HistoryEntry],
        failed: Sequence[str] = (),
    ) -> Plan:
        image = image_part(screenshot)
        problem: str | None = None
        plan = Plan("", None, "", "")
        for attempt in range(self.retries + 1):
            prompt = build_prompt(task, history, failed, problem)
            content = [image, {"type": "text", "text": prompt}]
            request = Request(
                f"{request_id}/try-{attempt + 1}",
                messages=({"role": "user", "content": content},),
                params=self.params,
            )
            (done,) = self.generator.generate_all([request])
            plan.requests += 1
            plan.usage += done.usage
            plan.prompt, plan.raw = prompt, done.text
            plan.replies.append(done.text)
            try:
                plan.thought, plan.action = parse_reply(done.text)
                return plan
            except PlannerReplyError as error:
                plan.parse_failures += 1
                problem = error.message
                plan.errors.append(problem)
        return plan


def history_line(action: Action) -> str:
    """How a step's action appears in later prompts: the planned dialect (see the module docstring)."""
    return format_action(action, planned=True)
