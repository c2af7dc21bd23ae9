"""The prompts of cognition completion and of the planner, in limkit's own words.

Their structure follows the fact sheet (notes/papers/pc_agent.md, sections 3 and 4): an element is
described from the marked screenshot with the accessibility name as a hint, the description is checked
by a second call, and a thought is written from the task, the earlier steps and the coming actions.
The planner prompt is shared by `to-sft` (training samples) and the agent (inference), so a trained
planner is asked exactly what it learned to answer.
"""

from __future__ import annotations

from collections.abc import Sequence

ACTION_SPACE = """\
- click element: DESCRIPTION (also: right click element: DESCRIPTION, double click element: DESCRIPTION)
- drag from (x1, y1) to (x2, y2)
- scroll (dx, dy)   (notches; positive dy scrolls up)
- press key: KEY
- hotkey (KEY1, KEY2) or hotkey (KEY1, KEY2, KEY3)
- type text: TEXT
- wait
- finish   (the task is done)
- fail     (the task cannot be done)"""

DESCRIBE = """\
The screenshot shows a computer screen at the moment a person was about to {verb} at pixel ({x}, {y}).
Red marks were added to show where: a small dot on the exact spot, a circle around it and a short arrow
pointing at the circle. A thinner red box shows the bounds the accessibility interface reported for the
element there; the box can be loose or wrong, the dot is exact.
The accessibility name of that element is: {name}
That name may be exactly right, or it may be empty or meaningless; use it only if the picture agrees.

Say in one short phrase which element is under the dot and where it is on the screen, for example
"the Save button in the toolbar at the top right" or "an empty part of the desktop, lower left".
Describe only what you can see: no guesses about what the element does, no words like "seems" or
"probably", and do not mention the red marks. Reply with the phrase only."""

CHECK = """\
A person was about to {verb} at pixel ({x}, {y}) of this screenshot (the red dot and circle mark the
spot; the red box is the reported element bounds and may be inaccurate). The accessibility name there
is: {name}
Someone described the target of the click as: "{draft}"

Check that description against the picture. It is good if a reader could find the same element from
it alone. It is wrong if it names another element, a wrong place, or guesses at things not shown.
Reply with JSON only: {{"verdict": "Good"}} if it is good, or
{{"verdict": "Wrong", "correction": "<a better short description>"}} if it is wrong."""

THOUGHT = """\
You are reconstructing what went through a person's mind while they used a computer to do a task.
At every step they looked at the screen (shown), thought briefly, then did one action from this set:
{actions}

The task: {task}

The steps so far:
{history}

The action they are about to take now: {current}
The actions they will take after it:
{future}

Write the thought they had just before the current action, in the first person, as they would have
thought it at that moment: what they see on the screen, whether the last action worked, where they are
in the task, and why the current action is the sensible next move (or, when they are exploring, what
they hope to find). Be brief and confident. You know the coming actions only to understand the plan:
do not reveal what happens after the current action, do not state its outcome, and do not spell out
the action itself in its command syntax. Never mention red marks or annotations on the screenshot.
Reply with the thought only."""

PLANNER = """\
You operate a computer to complete a task. You see the current screen. Each turn, think briefly, then
give exactly one action, in exactly one of these forms:
{actions}

Describe a click target by what it is and where it is on the screen (it is located for you).
Answer in this form:
<your thought>

Action: <one action>

The task: {task}

Your earlier steps:
{history}

What is your next step?"""

NONE_YET = "(none yet)"
NO_MORE = "(none: this is the last action)"


def describe_prompt(verb: str, point: tuple[int, int], name: str) -> str:
    return DESCRIBE.format(verb=verb, x=point[0], y=point[1], name=name or "(none)")


def check_prompt(verb: str, point: tuple[int, int], name: str, draft: str) -> str:
    return CHECK.format(verb=verb, x=point[0], y=point[1], name=name or "(none)", draft=draft)


def numbered(lines: Sequence[str], start: int) -> str:
    return "\n".join(f"[{start + offset}] {line}" for offset, line in enumerate(lines))


def thought_prompt(
    task: str, history: Sequence[tuple[str, str]], first: int, current: str, future: Sequence[str]
) -> str:
    """`history`: (thought, action) of the earlier steps in the window, numbered from `first`."""
    past = numbered([f"{thought}\n    Action: {action}" for thought, action in history], first)
    return THOUGHT.format(
        actions=ACTION_SPACE,
        task=task,
        history=past or NONE_YET,
        current=current,
        future="\n".join(f"- {action}" for action in future) or NO_MORE,
    )


def planner_prompt(task: str, history: Sequence[tuple[str, str]], first: int) -> str:
    """The planner's question for one step: task, then (thought, action) of the last steps from `first`."""
    past = numbered([f"{thought}\nAction: {action}" for thought, action in history], first)
    return PLANNER.format(actions=ACTION_SPACE, task=task, history=past or NONE_YET)


def planner_target(thought: str, action: str) -> str:
    """What the planner is trained to answer: its thought, a blank line, then the action."""
    return f"{thought}\n\nAction: {action}"
