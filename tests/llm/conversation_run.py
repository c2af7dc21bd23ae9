"""A 20-turn conversation against an OpenAI-compatible server, run as its own process (to be SIGKILLed).

python conversation_run.py MODEL BASE_URL CACHE [TURNS]
"""

from __future__ import annotations

import sys

from limkit.llm import BackendOptions, Conversation, SamplingParams, make_generator, open_cache


def main() -> None:
    model, base_url, cache = sys.argv[1:4]
    turns = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    generator = make_generator("openai", model, BackendOptions(base_url=base_url), open_cache(cache))
    talk = Conversation(
        generator, system="Answer briefly.", params=SamplingParams(max_tokens=6), max_turns=turns
    )
    for turn in range(1, turns + 1):
        talk.ask(f"Turn {turn}: what is {turn} + {turn}?")
    print(talk.turns, talk.usage.completion_tokens)


if __name__ == "__main__":
    main()
