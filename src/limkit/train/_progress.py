"""One rich progress bar per training run, in place of TRL's tqdm bar and its printed log dictionaries.

The bar shows the figures a user watches: the optimizer step out of the total, the last logged loss,
samples per second and the time left. With `--verbose` (see `limkit.progress.library_output`) the
trainer keeps its own bar and log lines instead.
"""

from __future__ import annotations

import time
from typing import Any

from rich.progress import TextColumn


def progress_callback(description: str) -> Any:
    """A `TrainerCallback` drawing the limkit bar on the main process."""
    from transformers import TrainerCallback

    from limkit.progress import new_progress

    class RichTrainProgress(TrainerCallback):
        def __init__(self) -> None:
            self.progress: Any = None
            self.task: Any = None
            self.started = 0.0
            self.first_step = 0
            self.loss = "-"

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if not state.is_world_process_zero:
                return
            self.progress = new_progress(
                TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[speed]} samples/s")
            )
            self.progress.start()
            self.started, self.first_step = time.monotonic(), state.global_step
            self.task = self.progress.add_task(
                description, total=state.max_steps, completed=state.global_step, loss="-", speed="-"
            )

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is None:
                return
            elapsed = max(time.monotonic() - self.started, 1e-9)
            per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
            speed = (state.global_step - self.first_step) * per_step / elapsed
            self.progress.update(self.task, completed=state.global_step, loss=self.loss, speed=f"{speed:.1f}")

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
        ) -> None:
            if logs and isinstance(logs.get("loss"), int | float):
                self.loss = f"{float(logs['loss']):.4f}"

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.stop()
                self.progress = None

    return RichTrainProgress()


def attach_progress(trainer: Any, description: str) -> None:
    """Swaps the trainer's tqdm bar and log printer for the limkit bar, unless the command is verbose."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from limkit.progress import is_verbose

    if is_verbose():
        return
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(progress_callback(description))
