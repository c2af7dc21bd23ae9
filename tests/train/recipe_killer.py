"""Runs a training recipe and SIGKILLs its own process once `global_step` reaches a given step.

Used by the kill-and-resume tests of SFT, DPO and GRPO:
`python recipe_killer.py KIND CONFIG STEP [key=value ...]`. The kill comes from inside the training loop,
at the end of that step, so the test knows how far the run got.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def main() -> None:
    import torch
    from transformers import TrainerCallback

    from limkit.train import load_config, run_recipe

    kind, config_path, kill_at, *overrides = sys.argv[1:]
    torch.set_num_threads(1)

    class KillAt(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == int(kill_at):
                os.kill(os.getpid(), signal.SIGKILL)

    run_recipe(load_config(kind, config_path, overrides), callbacks=[KillAt()])


if __name__ == "__main__":
    main()
