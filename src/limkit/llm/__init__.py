"""One way to ask a language model for text: the `Generator` interface, its backends and the request cache.

Backends: `hf` (transformers in-process, text or image-text models), `openai` (one or many
OpenAI-compatible servers), `vllm` (in-process, optional, own environment) and `scripted` (a test
double answering from a function or rules). Every backend is wrapped by the same SQLite cache, which
makes runs resumable.

The API later features build on (judges, rankers, agents, planners):

    gen = make_generator("openai", "Qwen/Qwen3-8B", BackendOptions(base_url=("http://a:8000/v1",
                         "http://b:8000/v1"), model_fingerprint="qwen3-8b-2025-05"), open_cache())

    # plain text
    [done] = gen.generate_all([Request("q1", messages=({"role": "user", "content": "2+3?"},))])
    done.text, done.usage

    # images: a PIL image or an image file becomes a content part (by hash; bytes read when sent)
    look = {"role": "user", "content": [image_part("screen.png"), {"type": "text", "text": "Where?"}]}

    # structured: a choice among strings, or JSON matching a schema
    ask = Request("j1", messages=(...,), structured=Choice(("correct", "wrong")))
    [verdict] = gen.generate_all([ask])
    verdict.value if verdict.ok else verdict.failure   # StructuredFailure(reason, raw, attempts)
    Request("s1", messages=(...,), structured=JsonSchema({"type": "object", ...}))

    # conversations: history, usage summed, a turn limit, cached turn by turn
    talk = Conversation(gen, system="You are the examiner.", max_turns=20)
    reply = talk.ask("Ask your first question.")
    talk.ask("Was the answer right?", structured=Choice(("yes", "no"))).value

    # a test double for decision logic (never where a real tiny model or server can run)
    make_generator("scripted", "tests.judges:always_correct")   # fn(request, sample) -> str
    make_generator("scripted", "rules.jsonl")                   # {"pattern": REGEX, "reply": TEXT}

Structured replies are always checked (`jsonschema` for schemas) and re-asked with the reason, up to
the spec's `attempts`; one that never validates is a `StructuredFailure` on the completion, never an
exception. Constraint at the source: `hf` decodes under an xgrammar grammar; `openai` sends
`response_format` (OpenAI, vLLM, SGLang), or vLLM's `structured_outputs` / SGLang's `regex` with
`guided="vllm"` / `"sglang"`.
"""

from limkit.llm._cache import DEFAULT_CACHE, CompletionCache, cache_key, open_cache
from limkit.llm._conversation import Conversation, TurnLimitReached
from limkit.llm._factory import BACKENDS, BackendOptions, make_generator
from limkit.llm._generator import GenerationStats, Generator, WorkItem
from limkit.llm._images import ImagePart, image_part
from limkit.llm._models import local_model_dir
from limkit.llm._structured import GUIDED_MODES, Choice, JsonSchema, Structured, StructuredFailure
from limkit.llm._types import Completion, Message, Request, SamplingParams, Usage

__all__ = [
    "BACKENDS",
    "DEFAULT_CACHE",
    "GUIDED_MODES",
    "BackendOptions",
    "Choice",
    "Completion",
    "CompletionCache",
    "Conversation",
    "GenerationStats",
    "Generator",
    "ImagePart",
    "JsonSchema",
    "Message",
    "Request",
    "SamplingParams",
    "Structured",
    "StructuredFailure",
    "TurnLimitReached",
    "Usage",
    "WorkItem",
    "cache_key",
    "image_part",
    "local_model_dir",
    "make_generator",
    "open_cache",
]
