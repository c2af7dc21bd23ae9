"""`limkit demo`: the whole less-is-more loop on a laptop, from a procedural pool to a report.

from limkit.loops.demo import DemoConfig, run_demo
report, summary = run_demo("limkit-demo", DemoConfig(), seeds=3)
"""

from limkit.loops.demo._config import DemoConfig
from limkit.loops.demo._run import run_demo, seed_dir
from limkit.loops.demo._summary import LABELS, MODELS, DemoSummary, Estimate, summarize

__all__ = ["LABELS", "MODELS", "DemoConfig", "DemoSummary", "Estimate", "run_demo", "seed_dir", "summarize"]
