"""Overhead of structured-choice generation against plain generation, hf backend, tiny model (CPU).

    python benchmarks/bench_structured.py [--requests 32] [--max-tokens 8] [--repeats 3]

Both runs send the same chat prompts, greedy, no cache. The choice run decodes under an xgrammar grammar
and checks every reply; a choice reply ends as soon as an option is complete, so besides seconds per
request the script prints seconds per generated token, the fair figure for the per-step mask cost.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from limkit.llm import Choice, Request, SamplingParams
from limkit.llm._hf import HFGenerator
from limkit.llm.tiny import build_tiny_model

OPTIONS = ("correct", "incorrect", "partially correct", "cannot tell")


def workload(count: int, max_tokens: int, structured: Choice | None) -> list[Request]:
    params = SamplingParams(max_tokens=max_tokens)
    return [
        Request(
            str(i),
            messages=({"role": "user", "content": f"Is {i} + {i} = {2 * i}? Judge the claim."},),
            params=params,
            structured=structured,
        )
        for i in range(count)
    ]


def timed(generator: HFGenerator, requests: list[Request]) -> tuple[float, int]:
    started = time.perf_counter()
    done = generator.generate_all(requests)
    return time.perf_counter() - started, sum(c.usage.completion_tokens for c in done)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="Runs per figure; the best is printed.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        generator = HFGenerator(str(build_tiny_model(Path(scratch) / "model", seed=0)), device="cpu")
        choice = Choice(OPTIONS)
        started = time.perf_counter()
        generator._grammars.processor(choice)
        compile_seconds = time.perf_counter() - started
        timed(generator, workload(2, args.max_tokens, choice))  # warm-up
        plain = min(
            timed(generator, workload(args.requests, args.max_tokens, None)) for _ in range(args.repeats)
        )
        guided = min(
            timed(generator, workload(args.requests, args.max_tokens, choice)) for _ in range(args.repeats)
        )
        invalid = generator.stats.invalid
    print(
        f"{args.requests} chat requests, greedy, max {args.max_tokens} tokens, tiny model, hf backend (CPU)"
    )
    print(f"grammar compile (first use, incl. tokenizer info): {compile_seconds * 1000:.1f} ms")
    print(f"{'':>10} {'s/request':>10} {'tokens':>7} {'ms/token':>9}")
    for name, (seconds, tokens) in (("plain", plain), ("choice", guided)):
        print(
            f"{name:>10} {seconds / args.requests:>10.4f} {tokens:>7} {1000 * seconds / max(tokens, 1):>9.2f}"
        )
    per_token = (guided[0] / max(guided[1], 1)) / (plain[0] / max(plain[1], 1))
    print(f"ratio choice/plain: {guided[0] / plain[0]:.2f}x per request, {per_token:.2f}x per token")
    print(f"choice replies that never validated: {invalid}")


if __name__ == "__main__":
    main()
