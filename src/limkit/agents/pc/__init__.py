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
    "REFINED_FILE",
    "SCHEMA_VERSION",
    "STEPS_FILE",
    "Action",
    "ActionSyntaxError",
    "Element",
    "Step",
    "TaskInfo",
    "format_action",
    "normalize_key",
    "parse_action",
    "read_steps",
    "read_task",
    "write_steps",
    "write_task",
]
