"""PC Agent (He et al., GAIR-NLP, arXiv 2412.17589) on Linux/X11: a tracker of human computer use, trajectory
refinement, two-stage cognition completion, training data for a planner, and a planner + grounder agent.
Fact sheet: notes/papers/pc_agent.md. The released code is Windows-only; every rule here is limkit's own and
documented where it lives.
"""

from limkit.agents.pc._actions import (
    CLICK_KINDS,
    KINDS,
    MODIFIERS,
    NAMED_KEYS,
    Action,
    ActionSyntaxError,
    format_action,
    normalize_key,
    parse_action,
)
from limkit.agents.pc._agent import Agent, AgentConfig
from limkit.agents.pc._complete import CompleteConfig, CompleteStats, complete_trajectories
from limkit.agents.pc._execute import Executor
from limkit.agents.pc._ground import A11yGrounder, Grounder, Grounding, OcrGrounder, VlmGrounder
from limkit.agents.pc._planner import Planner
from limkit.agents.pc._prompts import planner_prompt, planner_target
from limkit.agents.pc._refine import (
    PASS_NAMES,
    RefineConfig,
    RefineResult,
    find_trajectories,
    refine_trajectory,
)
from limkit.agents.pc._sft import SftStats, to_sft
from limkit.agents.pc._track import Tracker, TrackOptions, TrackResult
from limkit.agents.pc._trajectory import (
    COMPLETED_FILE,
    REFINED_FILE,
    SCHEMA_VERSION,
    STEPS_FILE,
    Element,
    Step,
    TaskInfo,
    read_steps,
    read_task,
    write_steps,
    write_task,
)

__all__ = [
    "CLICK_KINDS",
    "COMPLETED_FILE",
    "KINDS",
    "MODIFIERS",
    "NAMED_KEYS",
    "PASS_NAMES",
    "REFINED_FILE",
    "SCHEMA_VERSION",
    "STEPS_FILE",
    "A11yGrounder",
    "Action",
    "ActionSyntaxError",
    "Agent",
    "AgentConfig",
    "CompleteConfig",
    "CompleteStats",
    "Element",
    "Executor",
    "Grounder",
    "Grounding",
    "OcrGrounder",
    "Planner",
    "RefineConfig",
    "RefineResult",
    "SftStats",
    "Step",
    "TaskInfo",
    "TrackOptions",
    "TrackResult",
    "Tracker",
    "VlmGrounder",
    "complete_trajectories",
    "find_trajectories",
    "format_action",
    "normalize_key",
    "parse_action",
    "planner_prompt",
    "planner_target",
    "read_steps",
    "read_task",
    "refine_trajectory",
    "to_sft",
    "write_steps",
    "write_task",
]
