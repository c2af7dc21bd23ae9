"""Recipes over TRL (SFT, DPO, GRPO, WSPO), rewards on `limkit.grade`, rollout logs and LIM selection.

Importing this package is light: TRL, transformers and torch load only when a recipe runs.
"""

from limkit.train._config import DataSpec, RewardSpec, TrainConfig, WSPOSpec, load_config
from limkit.train._keys import KeyHelp, format_keys, recipe_keys
from limkit.train._lim import (
    Curves,
    Selection,
    aggregate,
    build_curves,
    lim_scores,
    linear_scores,
    random_scores,
    select,
)
from limkit.train._lim_report import write_selection
from limkit.train._recipes import (
    PreparedRun,
    RunSummary,
    build_trainer,
    check_model_path,
    precompute_weak_logratios,
    prepare,
    run_recipe,
)
from limkit.train._rewards import (
    AccuracyReward,
    LimrReward,
    RewardOutcome,
    TruncationRule,
    count_boxes,
    has_repetition_loop,
    make_reward,
)
from limkit.train._rollouts import RolloutLogger, Schedule, check_trajectories, grpo_schedule, read_rollouts
from limkit.train._runs import LOSS_FILE, RUN_FILE
from limkit.train._wspo import WSPOCollator, compute_weak_logratios, make_wspo_trainer_class, wspo_loss

__all__ = [
    "LOSS_FILE",
    "RUN_FILE",
    "AccuracyReward",
    "Curves",
    "DataSpec",
    "KeyHelp",
    "LimrReward",
    "PreparedRun",
    "RewardOutcome",
    "RewardSpec",
    "RolloutLogger",
    "RunSummary",
    "Schedule",
    "Selection",
    "TrainConfig",
    "TruncationRule",
    "WSPOCollator",
    "WSPOSpec",
    "aggregate",
    "build_curves",
    "build_trainer",
    "check_model_path",
    "check_trajectories",
    "compute_weak_logratios",
    "count_boxes",
    "format_keys",
    "grpo_schedule",
    "has_repetition_loop",
    "lim_scores",
    "linear_scores",
    "load_config",
    "make_reward",
    "make_wspo_trainer_class",
    "precompute_weak_logratios",
    "prepare",
    "random_scores",
    "read_rollouts",
    "recipe_keys",
    "run_recipe",
    "select",
    "write_selection",
    "wspo_loss",
]
