"""Fitting a tiny model to answer given questions with given answers, so tests can predict its outputs.

A random tiny model never ends its turn and repeats one token. A few hundred full-batch Adam steps on
the (question, answer) pairs (seconds on one CPU thread) give texts that differ per prompt and end with
the end-of-turn token. Only the answer tokens (and the end-of-turn token) are targets.

On top of that, three models with a purpose (session fixtures in tests/conftest.py fit each once):

- a **solver** that answers a chosen subset of real benchmark items (the same chat messages `limkit eval`
  sends) with the boxed gold and the others with a boxed wrong answer, so metrics are known in advance;
- a **judge** that replies CORRECT or INCORRECT to `limkit.grade.LLMJudge`'s own prompt, by a cue;
- a **thinker** that writes `<think>` ... `</think>` and then a boxed answer, for budget forcing.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Question = str | Sequence[Mapping[str, str]]
"""A user turn, or whole chat messages (system prompt included) exactly as a command will send them."""

Answer = str | tuple[str, str]
"""The assistant text to fit, or (a given start of the turn, not fitted; the text to fit after it)."""


def fit_tiny_model(
    base_dir: Path,
    out: Path,
    pairs: Sequence[tuple[Question, Answer]],
    steps: int,
    stop_loss: float = 0.0,
) -> Path:
    """Copies the model at `base_dir` to `out` and fits it to answer each question with its answer.

    At most `steps` full-batch steps; it stops early once the mean loss per target token is below
    `stop_loss` (0.005 makes greedy and temperature-0.7 decoding reproduce every answer here).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    shutil.copytree(base_dir, out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    ids, mask, labels = _batch(tokenizer, pairs)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        model.train()
        for _ in range(steps):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            if loss.item() < stop_loss:
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out)
    return out


def _batch(tokenizer: Any, pairs: Sequence[tuple[Question, Answer]]) -> tuple[Any, Any, Any]:
    import torch

    rows, targets = [], []
    for question, answer in pairs:
        messages = [{"role": "user", "content": question}] if isinstance(question, str) else list(question)
        given, target = ("", answer) if isinstance(answer, str) else answer
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) + given
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full = tokenizer(prompt + target + "<|im_end|>", add_special_tokens=False)["input_ids"]
        rows.append(full)
        targets.append([-100] * len(prompt_ids) + full[len(prompt_ids) :])
    width = max(len(row) for row in rows)
    pad = tokenizer.pad_token_id
    ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows])
    labels = torch.tensor([target + [-100] * (width - len(target)) for target in targets])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows])
    return ids, mask, labels


# ---------------------------------------------------------------------------------------------------
# The solver: right on a known subset of real benchmark items, wrong on the rest.

#: Per task, whether the solver answers each of its first items right (True) or wrong (False).
#: Only tasks whose file has a plain `answer` column (gpqa_diamond's letters are remapped by a shuffle).
SOLVER_PLAN: dict[str, tuple[bool, ...]] = {
    "math500": (True, False, True),
    "amc23": (False, True, False),
}
# (gpqa_diamond's prompts are 270-320 tokens with its options: fitting them tripled the solver's time.)


@dataclass(frozen=True)
class SolverItem:
    """One benchmark item as `limkit eval` loads it, and what the fitted solver answers."""

    task: str
    id: str
    messages: tuple[dict[str, str], ...]
    gold: str
    right: bool

    @property
    def answer(self) -> str:
        return f"\\boxed{{{self.gold if self.right else wrong_answer(self.gold)}}}"


def wrong_answer(gold: str) -> str:
    """An answer no grader accepts for `gold`: another option letter, or a number it is not."""
    if len(gold) == 1 and gold.isalpha():
        return "B" if gold != "B" else "C"
    return "1" if gold.strip() in ("0", "0.0") else "0"


def solver_items(
    benchmarks_dir: Path, plan: Mapping[str, Sequence[bool]] = SOLVER_PLAN, seed: int = 0
) -> list[SolverItem]:
    """The first items of each planned task: the chat messages as `limkit.tasks` renders them for eval,
    and the gold read straight from the file's `answer` column, so a loader that reads the wrong
    column grades the solver's answers against something else and the expected metrics fail."""
    import json

    from limkit.tasks import load_task

    items = []
    for name, flags in plan.items():
        task = load_task(name, data_dir=benchmarks_dir, limit=len(flags), seed=seed)
        lines = (benchmarks_dir / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        for sample, line, right in zip(task.samples, lines, flags, strict=False):
            gold = json.loads(line)["answer"]
            gold = str(int(gold)) if isinstance(gold, float) and gold.is_integer() else str(gold)
            items.append(SolverItem(name, sample.id, tuple(task.messages(sample)), gold, right))
    return items


#: Free-form questions for the judge tests: the solver answers each with this boxed text.
FREE_FORM = (
    ("sky", "Why is the sky blue?", "Rayleigh scattering", "light scattering by air"),
    ("grass", "Why is grass green?", "chlorophyll", "green paint"),
    ("sum", "What is 2 + 2?", "4", "5"),
)


def free_form_rows() -> list[dict[str, str]]:
    """Task rows for FREE_FORM: two open-text questions (OT) and one numeric (NV)."""
    return [
        {"id": key, "problem": question, "answer": gold, "type": "NV" if key == "sum" else "OT"}
        for key, question, gold, _ in FREE_FORM
    ]


def fit_solver(base_dir: Path, out: Path, items: Sequence[SolverItem], steps: int = 400) -> Path:
    """Fits the solver to `items` and to FREE_FORM (as a user turn under the default system prompt)."""
    from limkit.tasks import DEFAULT_SYSTEM_PROMPT

    pairs: list[tuple[Question, Answer]] = [(item.messages, item.answer) for item in items]
    for _, question, _, reply in FREE_FORM:
        chat = [{"role": "system", "content": DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": question}]
        pairs.append((chat, f"\\boxed{{{reply}}}"))
    return fit_tiny_model(base_dir, out, pairs, steps, stop_loss=0.005)


# ---------------------------------------------------------------------------------------------------
# The judge: CORRECT when the answer names the cue word, INCORRECT otherwise, on LLMJudge's own prompt.

JUDGE_CUE = "scattering"


def judge_pairs() -> list[tuple[str, str, bool]]:
    """(gold, answer, verdict) pairs the judge is fitted on: the verdict is whether the cue is present."""
    pairs = [(gold, reply, JUDGE_CUE in reply) for _, _, gold, reply in FREE_FORM[:2]]
    pairs += [
        ("Rayleigh scattering", "scattering of sunlight", True),
        ("Rayleigh scattering", "the ocean reflects", False),
        ("chlorophyll", "light scattering", True),
        ("chlorophyll", "leaves are alive", False),
    ]
    return pairs


def fit_judge(base_dir: Path, out: Path, steps: int = 300) -> Path:
    """Fits a judge that reads `LLMJudge.conversation` and replies with one word."""
    from limkit.grade import LLMJudge

    judge = LLMJudge(lambda chats: [])
    pairs: list[tuple[Question, Answer]] = [
        (judge.conversation(answer, gold), "CORRECT" if verdict else "INCORRECT")
        for gold, answer, verdict in judge_pairs()
    ]
    return fit_tiny_model(base_dir, out, pairs, steps, stop_loss=0.005)


# ---------------------------------------------------------------------------------------------------
# The thinker: closes its thinking with the real marker, so budget forcing meets `</think>` itself.

THINK_QUESTIONS = tuple((f"What is {i} + {i}?", str(2 * i)) for i in range(3))


def thinking_step(question: str, answer: str) -> str:
    """One round of the thinker's thinking: "1 + 1 is 2." for "What is 1 + 1?"."""
    return f"{question.removeprefix('What is ').removesuffix('?')} is {answer}."


def fit_thinker(base_dir: Path, out: Path, steps: int = 300) -> Path:
    """Fits the thinker to end every round at once: after `<think>` and after each "Wait" (given, not
    fitted) it writes one step and `</think>`, then the boxed answer."""
    pairs: list[tuple[Question, Answer]] = []
    for question, answer in THINK_QUESTIONS:
        step = thinking_step(question, answer)
        for waits in range(3):
            given = "<think>\n" + f"{step}Wait" * waits
            pairs.append((question, (given, f"{step}</think>\n\nFinal Answer: \\boxed{{{answer}}}")))
    return fit_tiny_model(base_dir, out, pairs, steps, stop_loss=0.005)
