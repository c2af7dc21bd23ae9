"""What an evaluation run is: the settings that decide its numbers, kept apart from how it is executed.

`EvalConfig` holds everything that changes a result (model, tasks, sampling, prompts, budget forcing,
grader, judge). It is written into `results.json` when a run starts; resuming into the same directory with
any of these settings changed is refused, naming the setting. `RuntimeOptions` (server URL, concurrency,
batch size, cache location) change only speed, so they may differ between a run and its resumption.

Input paths (the data directory, local task files) are stored absolute with symbolic links resolved,
whether the config comes from the command line or from Python, so one directory reached two ways is one
protocol and a resumed run never refuses to continue over spelling.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from limkit.errors import UsageError

CONFIG_VERSION = 1


@dataclass(frozen=True)
class SamplingOverrides:
    """Command-line sampling flags; None keeps the task's preset for that field.

    `seed` is always set: sample i of a prompt is drawn with seed + i.
    """

    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class BudgetForcing:
    """s1-style test-time scaling: cap the thinking phase, suppress its end k times, then force an answer.

    Attributes:
        max_thinking_tokens: Thinking-phase cap, counted with the backend's completion-token usage.
        min_thinking_tokens: While fewer tokens were spent, an attempt to end thinking is suppressed too.
        num_waits: Suppress the first `num_waits` attempts to end thinking by appending `wait`.
        think_start: Opens the assistant turn (the thinking phase begins after it).
        think_end: Strings that end thinking; generation stops at them (the first closes forced thinking).
        wait: Appended in place of the end-of-thinking string.
        answer_prompt: Appended after the closing `think_end[0]` to force the final answer.
        max_answer_tokens: Cap on the forced answer.
    """

    max_thinking_tokens: int
    min_thinking_tokens: int = 0
    num_waits: int = 0
    think_start: str = "<think>\n"
    think_end: tuple[str, ...] = ("</think>",)
    wait: str = "Wait"
    answer_prompt: str = "\n\nFinal Answer: \\boxed{"
    max_answer_tokens: int = 256

    def __post_init__(self) -> None:
        if self.max_thinking_tokens < 1:
            raise UsageError("the thinking budget must be >= 1 token", field="thinking_budget")
        if self.min_thinking_tokens < 0 or self.num_waits < 0:
            raise UsageError("--min-thinking and --num-waits must be >= 0", field="num_waits")
        if not self.think_end or not all(self.think_end):
            raise UsageError("give at least one non-empty end-of-thinking string", field="think_end")
        if self.max_answer_tokens < 1:
            raise UsageError("--max-answer-tokens must be >= 1", field="max_answer_tokens")


@dataclass(frozen=True)
class GraderSettings:
    """How completions are graded. `require_box=None` keeps each task's own policy."""

    timeout: float = 5.0
    require_box: bool | None = None

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise UsageError(f"--grader-timeout must be > 0 s, got {self.timeout}", field="grader_timeout")


@dataclass(frozen=True)
class JudgeConfig:
    """An LLM judge for free-form answers (answer type OT, or a gold the symbolic grader cannot read)."""

    backend: str
    model: str
    max_tokens: int = 512


@dataclass(frozen=True)
class EvalConfig:
    """The settings that decide a run's numbers (recorded in results.json, checked on resume).

    Attributes:
        backend: hf, openai or vllm.
        model: Model directory, hub id, or served model name.
        tasks: Registered task names or local task files.
        data_dir: Read registered tasks from `DATA_DIR/<task>.jsonl`.
        limit: First K samples of every task.
        sampling: Overrides of the tasks' sampling presets.
        system_prompt: Replaces every task's system prompt ("" sends none); None keeps the task's.
        user_template: Replaces every task's user template; None keeps the task's.
        fields: Column map for local task files.
        budget: Budget forcing, if any.
        budgets: A token-budget sweep (thinking caps); needs `budget` for the other forcing settings.
        grader: Grader settings.
        judge: Optional LLM judge.
        revision: Model revision for hub models.
        tokenizer: Tokenizer used to render chat prompts locally (budget forcing on the openai backend).
        shuffle_options: Permute multiple-choice options with this seed, gold remapped (None: the
            dataset's order).
        option_free: Hide multiple-choice options; the gold option's text is graded by the judge. None
            (the default) and False both show them; False is stored as None so older run directories
            resume.
        output_format: An output format (direct, cot, longstep, longmonolog) whose system prompt
            replaces the tasks'; `system_prompt` still wins over it.
    """

    backend: str
    model: str
    tasks: tuple[str, ...]
    data_dir: str | None = None
    limit: int | None = None
    sampling: SamplingOverrides = field(default_factory=SamplingOverrides)
    system_prompt: str | None = None
    user_template: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    budget: BudgetForcing | None = None
    budgets: tuple[int, ...] = ()
    grader: GraderSettings = field(default_factory=GraderSettings)
    judge: JudgeConfig | None = None
    revision: str | None = None
    tokenizer: str | None = None
    shuffle_options: int | None = None
    option_free: bool | None = None
    output_format: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(_task_name(name) for name in self.tasks))
        if not self.option_free:
            object.__setattr__(self, "option_free", None)
        if self.output_format is not None:
            from limkit.tasks import OUTPUT_FORMATS

            if self.output_format not in OUTPUT_FORMATS:
                raise UsageError(
                    f"unknown output format {self.output_format!r}; known: {', '.join(OUTPUT_FORMATS)}",
                    field="format",
                )
        if self.data_dir is not None:
            object.__setattr__(self, "data_dir", canonical_path(self.data_dir))
        if not self.tasks:
            raise UsageError("give at least one task", field="tasks")
        if len(set(self.tasks)) != len(self.tasks):
            raise UsageError("a task is listed twice", field="tasks")
        if self.budgets and self.budget is None:
            raise UsageError("a budget sweep needs budget forcing settings", field="budget_sweep")
        if any(budget < 1 for budget in self.budgets):
            raise UsageError("every sweep budget must be >= 1 token", field="budget_sweep")

    @property
    def sweep(self) -> tuple[int, ...]:
        """The thinking budgets every sample is run at (empty without budget forcing)."""
        return thinking_budgets(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """The config as results.json records it (tuples become lists, as JSON reads them back)."""
        data: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        data["config_version"] = CONFIG_VERSION
        return data


def canonical_path(path: str | Path) -> str:
    """The one spelling of an input path a run records: absolute, `~` expanded, symbolic links resolved."""
    return str(Path(path).expanduser().resolve())


def _task_name(name: str) -> str:
    """Registered names as given; local task files by their canonical path."""
    from limkit.tasks import LOCAL_SUFFIXES

    return canonical_path(name) if str(name).endswith(LOCAL_SUFFIXES) else str(name)


def thinking_budgets(config: dict[str, Any]) -> tuple[int, ...]:
    """The thinking budgets of a recorded config: the sweep, else the one cap, else none."""
    budget = config.get("budget")
    if not budget:
        return ()
    swept: Sequence[int] = config.get("budgets") or ()
    return tuple(sorted(set(swept))) or (int(budget["max_thinking_tokens"]),)


@dataclass(frozen=True)
class RuntimeOptions:
    """How a run executes; none of these change its numbers, so they may differ on resume."""

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    batch_size: int = 8
    grader_workers: int = 2
    cache_path: str | None = None
    no_cache: bool = False
    judge_base_url: str | None = None
    chunk_size: int = 64

    def __post_init__(self) -> None:
        for name in ("concurrency", "batch_size", "grader_workers", "chunk_size"):
            check_positive(getattr(self, name), name)


def check_positive(value: int, name: str) -> None:
    """Refuses a count option below 1 (`--grader-workers 0` would otherwise fail deep inside a run)."""
    if value < 1:
        raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {value}", field=name)


def config_differences(stored: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the settings that differ, with both values, e.g. "sampling.n: 1 (run dir) vs 4"."""
    out: list[str] = []
    for key in sorted(set(stored) | set(current)):
        name = f"{prefix}{key}"
        left, right = stored.get(key), current.get(key)
        if isinstance(left, dict) and isinstance(right, dict):
            out.extend(config_differences(left, right, f"{name}."))
        elif left != right:
            out.append(f"{name}: {left!r} in the run dir, {right!r} now")
    return out
