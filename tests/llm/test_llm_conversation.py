"""`Conversation`: history, summed usage, the turn limit, structured asks, and resuming a killed run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import llm_scripts
import pytest

from limkit.llm import Choice, CompletionCache, Conversation, TurnLimitReached, Usage, make_generator
from serving import FaultProxy, cache_rows, kill_when

DRIVER = Path(__file__).with_name("conversation_run.py")


def test_history_usage_and_turn_limit() -> None:
    talk = Conversation(make_generator("scripted", "llm_scripts:echo"), system="Be brief.", max_turns=2)
    first = talk.ask("one two")
    assert first.text == "one two #0"
    second = talk.ask([{"type": "text", "text": "three"}])
    assert [m["role"] for m in talk.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert talk.messages[2]["content"] == "one two #0" and talk.messages[4]["content"] == "three #0"
    assert (talk.turns, talk.remaining) == (2, 0)
    assert talk.usage == first.usage + second.usage == Usage(3, 5)
    with pytest.raises(TurnLimitReached, match="reached its limit of 2 turns"):
        talk.ask("four")
    assert talk.turns == 2


def test_a_structured_ask_keeps_its_reply_and_leaves_re_asks_out_of_the_history() -> None:
    talk = Conversation(make_generator("scripted", "llm_scripts:wrong_then_right"))
    answer = talk.ask("Is 7 prime?", structured=Choice(("yes", "no")))
    assert (answer.value, answer.attempts) == ("yes", 2)
    assert [m["content"] for m in talk.messages] == ["Is 7 prime?", "yes"]
    assert talk.usage.completion_tokens == 2


def test_a_replayed_conversation_asks_nothing(tmp_path: Path) -> None:
    llm_scripts.CALLS.clear()
    for _ in range(2):
        generator = make_generator(
            "scripted", "llm_scripts:echo", cache=CompletionCache(tmp_path / "c.sqlite")
        )
        talk = Conversation(generator, max_turns=5)
        for turn in range(5):
            talk.ask(f"question {turn}")
    assert len(llm_scripts.CALLS) == 5 and generator.stats.cached == 5


def turn_of(body: dict[str, object]) -> int:
    """A turn's request holds the system message and two messages per earlier turn, then the question."""
    messages = body["messages"]
    assert isinstance(messages, list)
    return (len(messages) - 2) // 2 + 1


@pytest.mark.slow
def test_a_killed_twenty_turn_conversation_resumes_without_re_asking(
    tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    cache = tmp_path / "c.sqlite"
    with FaultProxy(tiny_server, latency=0.05) as proxy:
        command = [sys.executable, str(DRIVER), str(tiny_model_dir), proxy.base_url, str(cache)]
        run = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        kill_when(run, lambda: cache_rows(cache) >= 8, proxy)
        finished, before = cache_rows(cache), len(proxy.served)
        assert 8 <= finished < 20
        resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        served = [turn_of(body) for body in proxy.served]
    assert resumed.stdout.split()[0] == "20"
    assert sorted(served[before:]) == list(range(finished + 1, 21))
    assert all(served.count(turn) == 1 for turn in range(1, finished + 1))
