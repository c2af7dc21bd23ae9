"""The demo's knobs: one place that says how big every stage is, with a reduced size for CI."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from limkit.llm.tiny import TinyModelSpec


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and settings of the demo's stages; the defaults finish in minutes on two CPU cores."""

    seed: int = 0
    pool_size: int = 1600
    eval_size: int = 100
    foundation_size: int = 4800
    foundation_drill_share: float = 0.5
    facts_per_drill: int = 1
    foundation_worded_share: float = 0.3
    foundation_epochs: int = 3
    foundation_learning_rate: float = 3e-3
    select_k: int = 200
    difficulty_n: int = 2
    difficulty_max_pass: int = 1
    eval_n: int = 4
    eval_temperature: float = 0.7
    max_tokens: int = 256
    # SFT from a foundation that already knows the facts and the words: a small step size and few
    # epochs. At 1e-3 for 10 epochs (the earlier default) SFT on 200 chains erased the facts (one-step
    # accuracy 0.65 -> 0.18 on seed 0) within the first epochs; 1e-4 for 3 epochs kept most of them.
    small_set_epochs: int = 3
    full_pool_epochs: int = 1
    learning_rate: float = 1e-4
    batch_size: int = 16
    generate_batch: int = 256
    # One thread: tiny models gain little from a second one, collapse when cores are contended, and the
    # float reduction order (hence every number) then does not depend on the machine's core count.
    torch_threads: int = 1
    model: TinyModelSpec = field(
        default_factory=lambda: TinyModelSpec(
            hidden_size=128,
            num_layers=4,
            num_heads=4,
            intermediate_size=256,
            vocab_size=512,
            max_positions=512,
            number_tokens=100,
        )
    )

    def reduced(self) -> DemoConfig:
        """A few-minute version for tests: every stage runs for real, on less data."""
        return replace(
            self,
            pool_size=240,
            eval_size=24,
            foundation_size=400,
            foundation_epochs=1,
            select_k=24,
            difficulty_n=2,
            eval_n=2,
            small_set_epochs=2,
            model=replace(self.model, hidden_size=48, num_layers=2, intermediate_size=96),
            max_tokens=64,
        )
