"""Building a Generator from a backend name and a small options object (what the CLI and recipes pass)."""

from __future__ import annotations

from dataclasses import dataclass

from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache
from limkit.llm._generator import Generator

BACKENDS = ("hf", "openai", "vllm", "scripted")


@dataclass(frozen=True)
class BackendOptions:
    """Options that pick and tune a backend; each backend reads the fields that concern it.

    `base_url` is one URL or several replicas of the same model (openai); `model_fingerprint` is what
    the user declares to tell apart two models served under one name (it joins the cache identity);
    `guided` picks how structured replies are constrained on the server (see `GUIDED_MODES`).
    """

    base_url: str | tuple[str, ...] | None = None
    model_fingerprint: str | None = None
    guided: str = "response_format"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout: float = 300.0
    max_retries: int = 8
    retry_base_delay: float = 0.5
    revision: str | None = None
    device: str | None = None
    batch_size: int = 8
    tensor_parallel_size: int = 1


def make_generator(
    backend: str, model: str, options: BackendOptions | None = None, cache: CompletionCache | None = None
) -> Generator:
    """The backend's Generator. For `scripted`, `model` is `module:function` or a rules `.jsonl` file."""
    options = options or BackendOptions()
    if backend == "hf":
        from limkit.llm._hf import HFGenerator

        return HFGenerator(
            model,
            revision=options.revision,
            device=options.device,
            batch_size=options.batch_size,
            cache=cache,
        )
    if backend == "openai":
        from limkit.llm._openai import OpenAIGenerator, RetryPolicy

        if not options.base_url:
            raise LimkitError(
                "the openai backend needs --base-url (e.g. http://localhost:8000/v1)", field="base_url"
            )
        return OpenAIGenerator(
            model,
            base_url=options.base_url,
            api_key_env=options.api_key_env,
            concurrency=options.concurrency,
            timeout=options.timeout,
            retry=RetryPolicy(max_retries=options.max_retries, base_delay=options.retry_base_delay),
            fingerprint=options.model_fingerprint,
            guided=options.guided,
            cache=cache,
        )
    if backend == "scripted":
        from limkit.llm._scripted import ScriptedGenerator

        return ScriptedGenerator(model, cache=cache)
    if backend == "vllm":
        from limkit.llm._vllm import VLLMGenerator

        return VLLMGenerator(
            model, revision=options.revision, tensor_parallel_size=options.tensor_parallel_size, cache=cache
        )
    raise LimkitError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}", field="backend")
