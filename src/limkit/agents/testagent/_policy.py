"""The examination state, the policies that pick the next question type, and training a learned one.

TestAgent chooses question types with reinforcement learning; its algorithm, state, action and reward are not
public (fact sheet B.3). limkit's formulation:

- Action: one of `ACTIONS` (new topic, deepen, rephrase for consistency, misleading premise, harder variant).
  The first turn of an episode is always a new topic; `harder` is unavailable at difficulty 5; an item's
  `follow_up_policy.actions` restricts the rest.
- State (the learned policy's features): current difficulty, the set of question types already tried on
  this item at this difficulty, the last score (none / <0.5 / <0.8 / >=0.8) and the running mean
  (<0.5 / <0.8 / >=0.8). The turn index is left out: a phase-of-budget feature tripled the table and, at
  3,000 training episodes, left the policy no better than uniform on the simulated target (4.1 turns to
  the weakness without it, 9.05 with it, uniform 10.85; 20 seeded episodes).
- Reward: 1 for a new failure (score < the failure threshold on an (item, type, difficulty) not failed
  before), plus half the absolute change of score, minus 0.2 for repeating a type already tried here.
- Learner: tabular Q-learning (alpha 0.2, gamma 0.9, epsilon decaying from 1 to 0.05), trained on simulated
  targets with a random weakness (one type fails above a random difficulty), or online on real ones.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from limkit.agents.testagent._schema import ACTIONS
from limkit.errors import LimkitError

POLICIES = ("uniform", "rule", "learned")
FAILURE_THRESHOLD = 0.5
POLICY_FORMAT = "limkit-testagent-q/1"


@dataclass
class ExamState:
    """Where an episode stands. `order` is the episode's item order; `position` indexes it (-1: none yet)."""

    budget: int
    order: list[int]
    difficulties: list[int]
    turn: int = 0
    position: int = -1
    difficulty: int = 0
    last_score: float | None = None
    scores: list[float] = field(default_factory=list)
    tried_here: list[str] = field(default_factory=list)
    types_used: list[str] = field(default_factory=list)
    failed: set[tuple[int, str, int]] = field(default_factory=set)

    @property
    def item(self) -> int:
        return self.order[self.position % len(self.order)]

    def features(self) -> str:
        mask = "".join("1" if action in self.tried_here else "0" for action in ACTIONS)
        return f"d{self.difficulty}|t{mask}|l{_bucket(self.last_score, True)}|m{_bucket(self.mean(), False)}"

    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    def allowed(self, item_actions: Sequence[str] = ACTIONS) -> list[str]:
        if self.position < 0:
            return ["new_topic"]
        allowed = [a for a in ACTIONS if a == "new_topic" or a in item_actions]
        return [a for a in allowed if not (a == "harder" and self.difficulty >= 5)]

    def move(self, action: str) -> tuple[int, int]:
        """Applies the action's move (next item, or a harder variant); returns (item, difficulty) asked."""
        if action == "new_topic":
            self.position += 1
            self.difficulty = self.difficulties[self.item]
            self.tried_here = []
        elif action == "harder":
            self.difficulty = min(5, self.difficulty + 1)
            self.tried_here = []
        return self.item, self.difficulty

    def record(self, action: str, score: float | None) -> float:
        """Adds the turn's outcome; returns the reward (see the module docstring)."""
        reward = -0.2 if action in self.tried_here else 0.0
        if score is not None:
            key = (self.item, action, self.difficulty)
            if score < FAILURE_THRESHOLD and key not in self.failed:
                self.failed.add(key)
                reward += 1.0
            if self.last_score is not None:
                reward += 0.5 * abs(score - self.last_score)
            self.scores.append(score)
            self.last_score = score
        self.tried_here.append(action)
        self.types_used.append(action)
        self.turn += 1
        return reward


def _bucket(value: float | None, with_none: bool) -> str:
    if value is None:
        return "n" if with_none else "m"
    return "lo" if value < FAILURE_THRESHOLD else ("mid" if value < 0.8 else "hi")


class Policy(Protocol):
    name: str

    def choose(self, state: ExamState, allowed: Sequence[str], rng: random.Random) -> str: ...

    def observe(
        self, before: str, action: str, reward: float, after: str, allowed_after: Sequence[str]
    ) -> None: ...


class UniformPolicy:
    """A question type drawn uniformly from the allowed ones (the baseline every other policy must beat)."""

    name = "uniform"

    def choose(self, state: ExamState, allowed: Sequence[str], rng: random.Random) -> str:
        return rng.choice(list(allowed))

    def observe(
        self, before: str, action: str, reward: float, after: str, allowed_after: Sequence[str]
    ) -> None:
        return None


class RulePolicy:
    """A hand-written examiner: recheck a failure once by rephrasing, climb difficulty on success, then probe
    with a misleading premise and a deeper question before moving on."""

    name = "rule"

    def choose(self, state: ExamState, allowed: Sequence[str], rng: random.Random) -> str:
        if state.last_score is None:
            return "new_topic"
        preferences = ["rephrase", "new_topic"] if state.last_score < FAILURE_THRESHOLD else []
        if state.last_score >= 0.8:
            preferences.append("harder")
        preferences += ["misleading_premise", "deepen", "new_topic"]
        for action in preferences:
            if action in allowed and (action == "new_topic" or action not in state.tried_here):
                return action
        return "new_topic"

    def observe(
        self, before: str, action: str, reward: float, after: str, allowed_after: Sequence[str]
    ) -> None:
        return None


class QPolicy:
    """Tabular Q-learning over `ExamState.features`; greedy (ties: the turn's rng) unless exploring."""

    name = "learned"

    def __init__(
        self,
        table: dict[str, dict[str, float]] | None = None,
        *,
        epsilon: float = 0.0,
        alpha: float = 0.2,
        gamma: float = 0.9,
        trained: dict[str, Any] | None = None,
    ) -> None:
        self.table = table or {}
        self.epsilon, self.alpha, self.gamma = epsilon, alpha, gamma
        self.trained = trained or {}

    def value(self, features: str, action: str) -> float:
        return self.table.get(features, {}).get(action, 0.0)

    def choose(self, state: ExamState, allowed: Sequence[str], rng: random.Random) -> str:
        if rng.random() < self.epsilon:
            return rng.choice(list(allowed))
        features = state.features()
        best = max(self.value(features, action) for action in allowed)
        return rng.choice([action for action in allowed if self.value(features, action) == best])

    def observe(
        self, before: str, action: str, reward: float, after: str, allowed_after: Sequence[str]
    ) -> None:
        future = max((self.value(after, a) for a in allowed_after), default=0.0)
        old = self.value(before, action)
        self.table.setdefault(before, {})[action] = old + self.alpha * (reward + self.gamma * future - old)

    def save(self, path: str | Path) -> None:
        from limkit.data import atomic_write_text

        data = {
            "format": POLICY_FORMAT,
            "actions": list(ACTIONS),
            "alpha": self.alpha,
            "gamma": self.gamma,
            "trained": self.trained,
            "table": self.table,
        }
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> QPolicy:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LimkitError("policy file not found (train one with --train-policy)", path=path) from None
        except ValueError as error:
            raise LimkitError(f"not JSON ({error})", path=path) from None
        if not isinstance(data, dict) or data.get("format") != POLICY_FORMAT:
            raise LimkitError(
                f"not a learned policy (expected format {POLICY_FORMAT!r})", path=path, field="format"
            )
        if data.get("actions") != list(ACTIONS):
            raise LimkitError("the policy was trained on other question types", path=path, field="actions")
        table = data.get("table")
        if not isinstance(table, dict) or not all(
            isinstance(row, dict) and all(a in ACTIONS and isinstance(v, int | float) for a, v in row.items())
            for row in table.values()
        ):
            raise LimkitError("expected {features: {action: value}}", path=path, field="table")
        return cls(
            table, alpha=float(data["alpha"]), gamma=float(data["gamma"]), trained=data.get("trained", {})
        )


def turn_rng(seed: int, episode: int, turn: int) -> random.Random:
    """The rng of one decision: a resumed run draws exactly what the first run drew."""
    return random.Random(f"testagent:{seed}:{episode}:{turn}")


@dataclass(frozen=True)
class SimulatedTarget:
    """A target with one known weakness: it fails `weak_type` questions above difficulty `above`."""

    weak_type: str
    above: int
    noise: float = 0.0

    def score(self, action: str, difficulty: int, rng: random.Random) -> float:
        fails = action == self.weak_type and difficulty > self.above
        if rng.random() < self.noise:
            fails = not fails
        return 0.0 if fails else 1.0


def simulate_episode(
    policy: Policy, target: SimulatedTarget, difficulties: list[int], budget: int, seed: int, episode: int
) -> tuple[ExamState, int | None]:
    """One simulated episode: the end state and the 1-based turn of the first failure (None: never)."""
    order = list(range(len(difficulties)))
    random.Random(f"order:{seed}:{episode}").shuffle(order)
    state = ExamState(budget, order, difficulties)
    found = None
    while state.turn < budget:
        rng = turn_rng(seed, episode, state.turn)
        allowed = state.allowed()
        before = state.features()
        action = policy.choose(state, allowed, rng)
        _, difficulty = state.move(action)
        score = target.score(action, difficulty, rng)
        reward = state.record(action, score)
        if found is None and score < FAILURE_THRESHOLD:
            found = state.turn
        policy.observe(before, action, reward, state.features(), state.allowed())
    return state, found


def train_simulated(
    episodes: int = 5000, budget: int = 15, items: int = 10, seed: int = 0, noise: float = 0.0
) -> QPolicy:
    """Q-learning on simulated targets, each with a random weakness (type and difficulty threshold)."""
    rng = random.Random(f"train:{seed}")
    policy = QPolicy(
        epsilon=1.0, trained={"on": "simulated", "episodes": episodes, "budget": budget, "seed": seed}
    )
    weak_types = [a for a in ACTIONS if a != "new_topic"]
    for episode in range(episodes):
        policy.epsilon = max(0.05, 1.0 - episode / (0.7 * episodes))
        target = SimulatedTarget(rng.choice(weak_types), rng.randint(1, 4), noise)
        difficulties = [rng.randint(1, 5) for _ in range(items)]
        simulate_episode(policy, target, difficulties, budget, seed + 1, episode)
    policy.epsilon = 0.0
    return policy


def make_policy(name: str, policy_file: str | Path | None = None) -> Policy:
    if name == "uniform":
        return UniformPolicy()
    if name == "rule":
        return RulePolicy()
    if name == "learned":
        if policy_file is None:
            raise LimkitError(
                "the learned policy needs --policy-file (train one with --train-policy)", field="policy_file"
            )
        return QPolicy.load(policy_file)
    raise LimkitError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}", field="policy")
