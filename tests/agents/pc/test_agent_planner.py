"""The planner's prompt and its strict reply parsing (no display needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pc_agent_scripts import blank_screen

from limkit.agents.pc import Action
from limkit.agents.pc._planner import (
    HISTORY_STEPS,
    HistoryEntry,
    Planner,
    PlannerReplyError,
    build_prompt,
    parse_reply,
)
from limkit.llm import make_generator

SCRIPTS = Path(__file__).with_name("pc_agent_scripts.py")


@pytest.fixture
def screenshot(tmp_path: Path) -> Path:
    return blank_screen(tmp_path / "screen.png", (64, 36))


def test_reply_gives_thought_and_one_planned_action() -> None:
    thought, action = parse_reply('The entry is empty.\n\nAction: click element: the "Name" entry\n')
    assert thought == "The entry is empty."
    assert action == Action("click", target='the "Name" entry')
    assert parse_reply("Done.\nAction: press key: page_down")[1] == Action("press key", keys=("page_down",))
    assert parse_reply("Action: hotkey (Ctrl, S)")[1] == Action("hotkey", keys=("ctrl", "s"))


def test_typed_text_keeps_inner_spaces_but_not_the_final_newline() -> None:
    assert parse_reply("t\nAction: type text:  two  words \n")[1].text == " two  words"


@pytest.mark.parametrize(
    "reply",
    [
        "I will click Save.",  # no Action:
        "Action: ",  # nothing after it
        "Action: click (10, 20)",  # coordinates: the planner has none to give
        "Action: press (1, 2)",
        "Action: drag to (1, 2)",
        "Action: click element: Save\nAction: finish",  # two actions
        "Action: finish now",  # trailing words
        "Action: press key: hyper_space",  # no such key
        "Action: open the file",
    ],
)
def test_replies_that_are_not_exactly_one_planned_action_are_refused(reply: str) -> None:
    with pytest.raises(PlannerReplyError):
        parse_reply(reply)


def test_prompt_holds_task_last_ten_steps_and_failed_descriptions() -> None:
    history = [HistoryEntry(f"thought {k}", f"press key: f{k}") for k in range(1, 13)]
    prompt = build_prompt("rename the file", history, failed=["the blue Save icon"])
    assert "The task: rename the file" in prompt
    assert "thought 1\n" not in prompt and "thought 2\n" not in prompt
    for k in range(13 - HISTORY_STEPS, 13):
        assert f"Step {k}: thought {k}\nAction: press key: f{k}" in prompt
    assert "- the blue Save icon" in prompt
    for form in ("click element: DESC", "drag from (x1, y1) to (x2, y2)", "hotkey (K1, K2)", "type text: T"):
        assert form in prompt


def test_request_sends_the_screenshot_and_the_prompt(screenshot: Path) -> None:
    import pc_agent_scripts

    pc_agent_scripts.SEEN.clear()
    plan = Planner(make_generator("scripted", "pc_agent_scripts:recording_finish")).plan(
        "s1", "t", screenshot, []
    )
    assert plan.action == Action("finish") and plan.requests == 1 and plan.parse_failures == 0
    (request,) = pc_agent_scripts.SEEN
    (part, text) = request.messages[0]["content"]
    assert part.path == screenshot.resolve() and text["text"] == plan.prompt


def test_unparseable_reply_is_reasked_with_the_reason_and_counted(screenshot: Path) -> None:
    generator = make_generator("scripted", f"{SCRIPTS}:garbled_then_wait")
    plan = Planner(generator, retries=2).plan("s1", "task", screenshot, [])
    assert plan.action == Action("wait")
    assert (plan.requests, plan.parse_failures) == (2, 1)
    assert "click element: DESC" in plan.errors[0]


def test_planner_gives_up_after_its_retries(screenshot: Path) -> None:
    plan = Planner(make_generator("scripted", f"{SCRIPTS}:always_garbled"), retries=2).plan(
        "s1", "task", screenshot, []
    )
    assert plan.action is None and (plan.requests, plan.parse_failures) == (3, 3)
