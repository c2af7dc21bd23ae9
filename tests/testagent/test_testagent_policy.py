"""The learned policy (trained on simulated targets by `assess --train-policy --simulate`) finds a scripted
target's weakness (misleading premises above difficulty 3) in fewer turns than the uniform policy, over 20
seeded episodes of the real examination loop (examiner, target and judge through `Conversation`)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from limkit.agents.testagent import ExamConfig, QPolicy, Roles, UniformPolicy, assess, make_policy
from limkit.llm import make_generator

BUDGET, EPISODES = 15, 20


def _roles() -> Roles:
    return Roles(
        make_generator("scripted", "testagent_scripts:sim_examiner"),
        make_generator("scripted", "testagent_scripts:sim_target"),
        make_generator("scripted", "testagent_scripts:sim_judge"),
    )


def turns_to_weakness(policy: Any, bench: Path, run: Path) -> list[int]:
    """Per episode, the turn of the first failure (BUDGET + 1 when none was found)."""
    rows, _, _ = assess(
        bench, run, _roles(), {}, policy, ExamConfig(budget=BUDGET, episodes=EPISODES, seed=7)
    )
    found = []
    for episode in range(EPISODES):
        failing = [r for r in rows if r["episode"] == episode and r["failure"]]
        assert all(r["action"] == "misleading_premise" and r["difficulty"] > 3 for r in failing)
        found.append(failing[0]["turn"] if failing else BUDGET + 1)
    return found


def test_learned_policy_finds_the_weakness_sooner(run_cli: Any, small_bench: Path, tmp_path: Path) -> None:
    saved = tmp_path / "policy.json"
    trained = run_cli(
        "testagent",
        "assess",
        "--train-policy",
        str(saved),
        "--simulate",
        "--turns",
        str(BUDGET),
        "--train-episodes",
        "3000",
        "--seed",
        "0",
    )
    assert trained.code == 0, trained.err
    learned = turns_to_weakness(QPolicy.load(saved), small_bench, tmp_path / "learned")
    uniform = turns_to_weakness(UniformPolicy(), small_bench, tmp_path / "uniform")
    rule = turns_to_weakness(make_policy("rule"), small_bench, tmp_path / "rule")
    print(
        f"turns to the weakness over {EPISODES} episodes: learned {statistics.mean(learned):.2f} {learned}; "
        f"uniform {statistics.mean(uniform):.2f} {uniform}; rule {statistics.mean(rule):.2f} {rule}"
    )
    assert statistics.mean(learned) < statistics.mean(uniform)
    assert sum(t <= BUDGET for t in learned) >= sum(t <= BUDGET for t in uniform)
    assert max(learned) <= BUDGET  # the learned policy finds it in every episode


def test_policy_file_errors(tmp_path: Path) -> None:
    import pytest

    from limkit.errors import LimkitError

    bad = tmp_path / "p.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(LimkitError, match="not a learned policy") as caught:
        QPolicy.load(bad)
    assert caught.value.field == "format"
    with pytest.raises(LimkitError, match="--policy-file"):
        make_policy("learned")


def test_learned_policy_from_the_cli(run_cli: Any, small_bench: Path, tmp_path: Path) -> None:
    saved = tmp_path / "policy.json"
    QPolicy({"d0|t00000|ln|mm": {"new_topic": 1.0}}).save(saved)
    run = tmp_path / "run"
    result = run_cli(
        "testagent",
        "assess",
        str(small_bench),
        "--out",
        str(run),
        "--policy",
        "learned",
        "--policy-file",
        str(saved),
        "--turns",
        "4",
        "--target-backend",
        "scripted",
        "--target-model",
        "testagent_scripts:sim_target",
        "--examiner-backend",
        "scripted",
        "--examiner-model",
        "testagent_scripts:sim_examiner",
        "--judge-backend",
        "scripted",
        "--judge-model",
        "testagent_scripts:sim_judge",
    )
    assert result.code == 0, result.err
    assert "4 turns (4 asked now, 0 resumed)" in result.err
    assert (run / "report.html").exists() and '"policy": "learned"' in (run / "config.json").read_text()
    saved.write_text(saved.read_text().replace("1.0", "2.0"))  # another policy: the run refuses to resume
    again = run_cli(
        "testagent",
        "assess",
        str(small_bench),
        "--out",
        str(run),
        "--policy",
        "learned",
        "--policy-file",
        str(saved),
        "--turns",
        "4",
        "--target-backend",
        "scripted",
        "--target-model",
        "testagent_scripts:sim_target",
        "--examiner-backend",
        "scripted",
        "--examiner-model",
        "testagent_scripts:sim_examiner",
        "--judge-backend",
        "scripted",
        "--judge-model",
        "testagent_scripts:sim_judge",
    )
    assert again.code == 1 and "differs in policy_sha256" in again.err
