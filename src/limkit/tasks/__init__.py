"""The task registry: benchmarks and pools with their source, field mapping, prompt, answer type and protocol.

    from limkit.tasks import load_task
    task = load_task("math500", data_dir=None, limit=None, seed=0)
    task.messages(task.samples[0]); task.grade(task.samples[0], completion)

Registered: math500, aime24, aime25, amc23, olympiadbench, minerva_math, gpqa_diamond, and the medical
set medqa, medbullets_op4, medbullets_op5, jama_clinical (user-supplied file only). Each is loaded from
its public Hugging Face dataset at a pinned revision, or from `DATA_DIR/<name>.jsonl` with `data_dir`; any
local JSONL/JSON/Parquet file with a field map is a task too. gpqa_diamond's hub revision is not pinned yet
(see `PENDING_PINS`): loading it from the hub warns.
"""

from limkit.tasks._choices import ChoiceMode, ChoiceQuestion, format_options, parse_options
from limkit.tasks._formats import OUTPUT_FORMATS, OutputFormat, output_format
from limkit.tasks._load import (
    LOCAL_SUFFIXES,
    UnpinnedRevisionWarning,
    data_file,
    hub_offline,
    load_task,
    resolve_spec,
)
from limkit.tasks._medical import JAMA_OBTAIN, MEDICAL_TASKS, PAPER_TEST_SIZES
from limkit.tasks._registry import BUILTIN_TASKS, PENDING_PINS, TASKS, register_task
from limkit.tasks._spec import (
    CHOICE_SYSTEM_PROMPT,
    DEFAULT_SYSTEM_PROMPT,
    OPEN_SYSTEM_PROMPT,
    FieldMap,
    PromptTemplate,
    SamplingPreset,
    TaskSpec,
)
from limkit.tasks._task import Task, TaskSample, check_user_template, choice_letters

__all__ = [
    "BUILTIN_TASKS",
    "CHOICE_SYSTEM_PROMPT",
    "DEFAULT_SYSTEM_PROMPT",
    "JAMA_OBTAIN",
    "LOCAL_SUFFIXES",
    "MEDICAL_TASKS",
    "OPEN_SYSTEM_PROMPT",
    "OUTPUT_FORMATS",
    "PAPER_TEST_SIZES",
    "PENDING_PINS",
    "TASKS",
    "ChoiceMode",
    "ChoiceQuestion",
    "FieldMap",
    "OutputFormat",
    "PromptTemplate",
    "SamplingPreset",
    "Task",
    "TaskSample",
    "TaskSpec",
    "UnpinnedRevisionWarning",
    "check_user_template",
    "choice_letters",
    "data_file",
    "format_options",
    "hub_offline",
    "load_task",
    "output_format",
    "parse_options",
    "register_task",
    "resolve_spec",
]
