"""The agent loop: screenshot, plan, ground, execute, log; until finish, fail, a limit, or an error.

The released agent (fact sheet notes/papers/pc_agent.md, section 4) sleeps, grabs the screen, asks the
planner, grounds a click's description (re-planning on the same screenshot with the failed descriptions,
at most 3 times, then `exit(1)`), acts, and stops at `finish`, `fail` or 50 actions. limkit keeps that
loop and its limits, and ends every run with a status instead of an exit: `finished` (the planner said
finish), `failed` (it said fail, or its replies never parsed, or no re-plan could be grounded, or an action
or a model call failed; `reason` says which), `step_limit` (`max_steps` steps taken), or `interrupted`
(Ctrl-C, the run is marked and the signal passed on).

The run directory, every file written atomically after each step (a reader never sees half a file):

    RUNDIR/run.json        schema_version, task, settings, status ("running" until the end), reason
    RUNDIR/steps.jsonl     one line a step: screenshot, thought, planned and executed action, grounding
                           tries, failed descriptions, re-plans, parse failures, the
                           planner's raw replies, the xdotool commands run
    RUNDIR/steps.md        the same for people, with the (marked) screenshots inline
    RUNDIR/screens/        NNN.png before each step; NNN_marked.png with the click or drag marked
    RUNDIR/summary.json    at the end: status, steps, grounding failures, re-plans, parse failures, usage

Runs are not resumable: the desktop a run acted on has moved on since, so replaying its steps would act
twice. A directory that holds a run (finished or not) is refused unless `overwrite` is given, which
clears that run's files first (the request cache stays: the same screen and history get the same answer).
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from limkit.agents.pc._actions import Action, format_action
from limkit.agents.pc._execute import Executor
from limkit.agents.pc._ground import Grounder, Grounding, Point, draw_marks
from limkit.agents.pc._planner import HistoryEntry, Plan, Planner, history_line
from limkit.data import atomic_write_text
from limkit.errors import LimkitError
from limkit.llm import Usage

RUN_SCHEMA = "limkit.pc.run/1"
RUN_FILE = "run.json"
STEPS_FILE = "steps.jsonl"
MARKDOWN_FILE = "steps.md"
SUMMARY_FILE = "summary.json"
SCREENS = "screens"
STATUSES = ("running", "finished", "failed", "step_limit", "interrupted")

Capture = Callable[[Path], None]


@dataclass(frozen=True)
class AgentConfig:
    task: str
    max_steps: int = 50
    max_replans: int = 3
    dry_run: bool = False

    def __post_init__(self) -> None:
        if not self.task.strip():
            raise LimkitError("the task is empty", field="task")
        if self.max_steps < 1:
            raise LimkitError(f"max_steps must be >= 1, got {self.max_steps}", field="max_steps")
        if self.max_replans < 0:
            raise LimkitError(f"max_replans must be >= 0, got {self.max_replans}", field="max_replans")


@dataclass
class Counts:
    steps: int = 0
    grounding_failures: int = 0
    replans: int = 0
    parse_failures: int = 0
    planner_requests: int = 0
    grounder_requests: int = 0
    usage: Usage = field(default_factory=Usage)


@dataclass
class StepLog:
    index: int
    time: float
    screenshot: str
    marked_screenshot: str | None = None
    thought: str | None = None
    planned: str | None = None
    action: str | None = None
    point: list[int] | None = None
    grounding: list[dict[str, Any]] = field(default_factory=list)
    failed_descriptions: list[str] = field(default_factory=list)
    replans: int = 0
    parse_failures: int = 0
    parse_errors: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    planner_requests: int = 0
    commands: list[list[str]] = field(default_factory=list)
    executed: bool = False
    error: str | None = None

    def row(self) -> dict[str, Any]:
        return {"schema_version": RUN_SCHEMA, **asdict(self)}


def capture_screen(display: str | None = None) -> Capture:
    """Saves the whole X screen as PNG, with the tracker's mss grabber (`_screen`)."""
    import os

    try:
        from limkit.agents.pc._screen import Screen, save_png

        screen = Screen(display)
    except ImportError:
        raise LimkitError("screenshots need mss: pip install 'limkit[pc]'", field="screen") from None
    except Exception as error:  # mss raises its own XError when no X server answers
        name = display or os.environ.get("DISPLAY") or "(DISPLAY unset)"
        raise LimkitError(f"cannot take screenshots of X display {name}: {error}", field="DISPLAY") from None

    def grab(path: Path) -> None:
        save_png(screen.grab(), path)

    return grab


def _guarded(what: str, call: Callable[[], Any]) -> Any:
    """`call()`, with any error other than limkit's own (an X connection lost, an OCR or AT-SPI failure)
    turned into a `LimkitError`, so that the run ends `failed` with the reason instead of a traceback."""
    try:
        return call()
    except LimkitError:
        raise
    except Exception as error:
        raise LimkitError(f"{what} failed: {type(error).__name__}: {error}") from error


def prepare_run_dir(run_dir: Path, overwrite: bool) -> None:
    """Refuses a directory holding a run (or anything else) unless `overwrite`; see the module docstring."""
    run_file = run_dir / RUN_FILE
    if run_file.is_file():
        if not overwrite:
            status = _status_of(run_file)
            ended = status in ("finished", "failed", "step_limit")
            kind = "a finished run" if ended else "an interrupted run (runs do not resume)"
            raise LimkitError(
                f"already holds {kind}, status {status!r}; choose another --out or pass --overwrite",
                path=run_dir,
            )
        for name in (RUN_FILE, STEPS_FILE, MARKDOWN_FILE, SUMMARY_FILE):
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / SCREENS, ignore_errors=True)
    elif run_dir.exists() and any(p.name != "cache.sqlite" for p in run_dir.iterdir()):
        raise LimkitError("not empty and not a run directory; choose another --out", path=run_dir)
    (run_dir / SCREENS).mkdir(parents=True, exist_ok=True)


def _status_of(run_file: Path) -> str:
    try:
        return str(json.loads(run_file.read_text(encoding="utf-8")).get("status"))
    except (json.JSONDecodeError, AttributeError):
        return "unreadable"


class Agent:
    """One run of the loop into `run_dir` (see the module docstring)."""

    def __init__(
        self,
        config: AgentConfig,
        planner: Planner,
        grounder: Grounder,
        executor: Executor,
        capture: Capture,
        run_dir: Path,
        settings: dict[str, Any] | None = None,
        on_step: Callable[[StepLog], None] | None = None,
    ) -> None:
        self.config = config
        self.planner = planner
        self.grounder = grounder
        self.executor = executor
        self.capture = capture
        self.run_dir = run_dir
        self.settings = settings or {}
        self.on_step = on_step
        self.counts = Counts()
        self.steps: list[StepLog] = []
        self.history: list[HistoryEntry] = []
        self.status = "running"
        self.reason = ""
        self.started = time.time()

    def run(self) -> dict[str, Any]:
        """Runs to the end and returns the summary (also written to RUNDIR/summary.json)."""
        self._write_run()
        try:
            for index in range(self.config.max_steps):
                step = self._step(index)
                self.steps.append(step)
                self.counts.steps += 1
                self._write_steps()
                if self.on_step is not None:
                    self.on_step(step)
                if self.status != "running":
                    break
            else:
                self._end("step_limit", f"{self.config.max_steps} steps taken without finish")
        except KeyboardInterrupt:
            self._end("interrupted", "stopped by the user (Ctrl-C)")
            self._finish()
            raise
        return self._finish()

    def _end(self, status: str, reason: str) -> None:
        self.status, self.reason = status, reason

    def _step(self, index: int) -> StepLog:
        shot = self.run_dir / SCREENS / f"{index:03d}.png"
        step = StepLog(index, time.time(), f"{SCREENS}/{shot.name}")
        try:
            _guarded("the screenshot", lambda: self.capture(shot))
            plan, point = self._decide(index, shot, step)
            if plan is not None and plan.action is not None and self.status == "running":
                self._act(plan.action, point, shot, step)
        except LimkitError as error:
            step.error = error.message
            self._end("failed", f"step {index + 1}: {error.message}")
        return step

    def _decide(self, index: int, shot: Path, step: StepLog) -> tuple[Plan | None, Point | None]:
        """Plans, and grounds a click, re-planning with the failed descriptions up to `max_replans` times."""
        while True:
            plan = self.planner.plan(
                f"step-{index + 1}/plan-{step.replans + 1}",
                self.config.task,
                shot,
                self.history,
                step.failed_descriptions,
            )
            self._count_plan(plan, step)
            if plan.action is None:
                self._end("failed", f"step {index + 1}: no planner reply parsed in {plan.requests} tries")
                return plan, None
            step.thought, step.planned = plan.thought, history_line(plan.action)
            if not plan.action.is_click or plan.action.target is None:
                return plan, None
            ground = functools.partial(self.grounder.ground, plan.action.target, shot)
            grounding = _guarded(f"{self.grounder.name} grounding", ground)
            self._count_grounding(plan.action.target, grounding, step)
            if grounding.point is not None:
                return plan, grounding.point
            step.failed_descriptions.append(plan.action.target)
            self.counts.grounding_failures += 1
            if step.replans >= self.config.max_replans:
                failed = "; ".join(step.failed_descriptions)
                self._end("failed", f"step {index + 1}: not found after {step.replans} re-plans: {failed}")
                return None, None
            step.replans += 1
            self.counts.replans += 1

    def _count_plan(self, plan: Plan, step: StepLog) -> None:
        step.parse_failures += plan.parse_failures
        step.parse_errors += plan.errors
        step.replies += plan.replies
        step.planner_requests += plan.requests
        self.counts.parse_failures += plan.parse_failures
        self.counts.planner_requests += plan.requests
        self.counts.usage += plan.usage

    def _count_grounding(self, description: str, grounding: Grounding, step: StepLog) -> None:
        self.counts.grounder_requests += grounding.requests
        self.counts.parse_failures += grounding.parse_failures
        self.counts.usage += grounding.usage
        step.grounding.append(
            {
                "description": description,
                "grounder": self.grounder.name,
                "point": list(grounding.point) if grounding.point else None,
                "matched": grounding.matched,
                "box": list(grounding.box) if grounding.box else None,
                "parse_failures": grounding.parse_failures,
                "tries": grounding.tries,
            }
        )

    def _act(self, action: Action, point: Point | None, shot: Path, step: StepLog) -> None:
        executed = Action(action.kind, point=point) if action.is_click else action
        step.action = format_action(executed)
        step.point = list(point) if point else None
        if point is not None or action.kind == "drag":
            marked = shot.with_name(f"{shot.stem}_marked.png")
            draw_marks(shot, marked, point or action.point or (0, 0), action.end if point is None else None)
            step.marked_screenshot = f"{SCREENS}/{marked.name}"
        step.commands = self.executor.execute(action, point)
        step.executed = not self.executor.dry_run
        self.history.append(HistoryEntry(step.thought or "", step.planned or step.action))
        if action.kind == "finish":
            self._end("finished", "the planner said finish")
        elif action.kind == "fail":
            self._end("failed", "the planner said fail")

    def summary(self) -> dict[str, Any]:
        counts = asdict(self.counts)
        counts["usage"] = self.counts.usage.as_dict()
        return {
            "schema_version": RUN_SCHEMA,
            "task": self.config.task,
            "status": self.status,
            "reason": self.reason,
            **counts,
            "dry_run": self.config.dry_run,
            "grounder": self.grounder.name,
            "seconds": round(time.time() - self.started, 2),
        }

    def _finish(self) -> dict[str, Any]:
        summary = self.summary()
        atomic_write_text(self.run_dir / SUMMARY_FILE, json.dumps(summary, indent=1) + "\n")
        self._write_steps()
        self._write_run()
        return summary

    def _write_run(self) -> None:
        record = {
            "schema_version": RUN_SCHEMA,
            "task": self.config.task,
            "status": self.status,
            "reason": self.reason,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.started)),
            "max_steps": self.config.max_steps,
            "max_replans": self.config.max_replans,
            "dry_run": self.config.dry_run,
            "grounder": self.grounder.name,
            **self.settings,
        }
        atomic_write_text(self.run_dir / RUN_FILE, json.dumps(record, indent=1, ensure_ascii=False) + "\n")

    def _write_steps(self) -> None:
        rows = "".join(json.dumps(step.row(), ensure_ascii=False) + "\n" for step in self.steps)
        atomic_write_text(self.run_dir / STEPS_FILE, rows)
        atomic_write_text(self.run_dir / MARKDOWN_FILE, self.markdown())

    def markdown(self) -> str:
        """The run for people: the task, the status so far, and each step with its screenshot."""
        lines = [f"# Agent run: {self.config.task}", ""]
        lines += [f"**Status:** {self.status}" + (f" ({self.reason})" if self.reason else ""), ""]
        lines += [
            f"**Steps:** {self.counts.steps}; grounding failures {self.counts.grounding_failures}, "
            f"re-plans {self.counts.replans}, parse failures {self.counts.parse_failures}; "
            f"grounder {self.grounder.name}"
            + ("; dry run (nothing executed)" if self.config.dry_run else ""),
            "",
        ]
        for step in self.steps:
            lines += _step_markdown(step)
        return "\n".join(lines) + "\n"


def _step_markdown(step: StepLog) -> list[str]:
    lines = [
        f"### Step {step.index + 1}",
        "",
        f"![step {step.index + 1}]({step.marked_screenshot or step.screenshot})",
        "",
    ]
    if step.thought is not None:
        lines += [f"**Thought:** {step.thought}", ""]
    for tried in step.grounding:
        where = f"at {tuple(tried['point'])} ({tried['matched']})" if tried["point"] else "not found"
        lines += [f"- grounding `{tried['description']}` with {tried['grounder']}: {where}"]
    if step.grounding:
        lines.append("")
    if step.parse_failures:
        lines += [f"**Unparseable replies:** {step.parse_failures} ({'; '.join(step.parse_errors)})", ""]
    if step.planned is not None:
        lines += [f"**Planned:** `{step.planned}`", ""]
    if step.action in ("finish", "fail"):
        lines += [f"**Action:** `{step.action}` (ends the run)", ""]
    elif step.action is not None:
        done = "executed" if step.executed else "failed" if step.error else "not executed: dry run"
        lines += [f"**Action:** `{step.action}` ({done})", ""]
    if step.error:
        lines += [f"**Error:** {step.error}", ""]
    return lines
