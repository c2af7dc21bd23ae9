"""TestAgent policies on a simulated target with a known weakness: turns to find it, learned vs uniform.

    PYTHONPATH=src python benchmarks/bench_testagent.py [--train-episodes 3000] [--episodes 20] [--budget 15]

Trains the learned policy (tabular Q-learning on simulated targets with random weaknesses), then runs the
uniform (the baseline), rule-based and learned policies on the same seeded episodes of a target that fails
only misleading-premise questions above difficulty 3 (10 items, difficulties 1 to 5). Prints the training
time, the mean turns to the first failure per policy (budget + 1 when never found), the episodes where it
was found, and the ratio learned / uniform (below 1 is better). In-process simulator, no model calls; the
same comparison through the full examination loop is `tests/testagent/test_testagent_policy.py`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time


def main() -> None:
    from limkit.agents.testagent import (
        RulePolicy,
        SimulatedTarget,
        UniformPolicy,
        simulate_episode,
        train_simulated,
    )

    parser = argparse.ArgumentParser()
    parser.add_argument("--train-episodes", type=int, default=3000)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--budget", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    learned = train_simulated(episodes=args.train_episodes, budget=args.budget, seed=0)
    print(
        f"training: {args.train_episodes} episodes in {time.perf_counter() - started:.2f} s, "
        f"{len(learned.table)} states"
    )
    target = SimulatedTarget("misleading_premise", 3)
    means = {}
    for policy in (UniformPolicy(), RulePolicy(), learned):
        turns = []
        for episode in range(args.episodes):
            rng = random.Random(f"items:{episode}")
            difficulties = [rng.randint(1, 5) for _ in range(10)]
            _, found = simulate_episode(policy, target, difficulties, args.budget, 100, episode)
            turns.append(found or args.budget + 1)
        means[policy.name] = statistics.mean(turns)
        found_in = sum(t <= args.budget for t in turns)
        print(
            f"{policy.name:8s} mean turns to the weakness {means[policy.name]:.2f}, "
            f"found in {found_in}/{args.episodes}"
        )
    print(f"ratio learned / uniform: {means['learned'] / means['uniform']:.3f}")


if __name__ == "__main__":
    main()
