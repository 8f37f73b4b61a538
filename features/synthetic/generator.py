"""A seeded synthetic mobile operator that writes the raw tables of the data contract, and
its truth beside them.

The base is a mix of personas a Vietnamese operator would recognise (personas.py) living in
a shared calendar of network quality, competitor promotions and the Tết season (world.py).
Each subscriber leaves through a Markov chain whose hazard moves with tenure, grievances,
promotions, the season and retention offers (lifecycle.py), so falling usage, complaints and
port-out inquiries show up before most exits, while a quarter of leavers go without warning.
The operator ran monthly retention campaigns with randomised control groups (campaigns.py).
The truth (truth.py) - each subscriber's exact churn probability, expected revenue and
response to every offer - is written to a separate folder that features and training never
read.

Subscribers are simulated in independent blocks (each with its own seed stream, simulation.py)
and each block is written as one Parquet part per table, so any size streams in bounded
memory and the same seed gives the same bytes whatever else runs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from features.contract.schema import LOCAL_TIME_ZONE, TABLES
from features.contract.sources import write_table
from features.synthetic.campaigns import EFFECTS, CampaignPolicy
from features.synthetic.simulation import simulate_block
from features.synthetic.truth import TRUTH_TABLES, VALUE_DAYS
from features.synthetic.world import make_world

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneratorConfig:
    subscribers: int = 20_000  # rows of the subscribers table: the base at the start + joiners
    start: date = date(2025, 1, 1)
    months: int = 12
    seed: int = 42
    block_size: int = 25_000
    new_share: float = 0.35  # share of the subscribers activated during the period
    campaign_share: float = 0.05  # share of the eligible base targeted by each monthly campaign
    control_share: float = 0.2  # randomised hold-out within each campaign
    effect: str = "default"  # effect scenario of offers: none, default or strong (EFFECTS)
    # The truth's survival curves: most of the generation time (survival_truth.py); off,
    # every other table keeps its bytes and the truth has no `survival` table.
    survival_truth: bool = True

    def __post_init__(self) -> None:
        checks = {
            "subscribers": self.subscribers >= 1,
            "months": self.months >= 2,
            "block_size": self.block_size >= 1,
            "new_share": 0.0 <= self.new_share <= 1.0,
            "campaign_share": 0.0 <= self.campaign_share <= 1.0,
            "control_share": 0.0 < self.control_share < 1.0,
            "start": self.start.day == 1,
            "effect": self.effect in EFFECTS,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(
                f"GeneratorConfig.{bad[0]}: invalid value {getattr(self, bad[0])!r} "
                "(subscribers and block_size >= 1, months >= 2, shares in [0, 1], "
                "control_share strictly inside, start on the first of a month, effect one of "
                f"{sorted(EFFECTS)})"
            )

    @property
    def end(self) -> date:
        """First day after the generated period."""
        year, month = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + year, month + 1, self.start.day)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def policy(self) -> CampaignPolicy:
        return CampaignPolicy(
            target_share=self.campaign_share,
            control_share=self.control_share,
            effect=EFFECTS[self.effect],
        )


def _block(config: GeneratorConfig, world, block: int, out: Path, truth: Path) -> dict:
    """Simulate block `block` and write its Parquet part of every table; its row counts."""
    lo = block * config.block_size
    hi = min(lo + config.block_size, config.subscribers)
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, block]))
    ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
    tables, oracle = simulate_block(
        config.start,
        config.days,
        world,
        rng,
        ids,
        config.new_share,
        config.policy,
        config.survival_truth,
    )
    part = f"part-{block:05d}.parquet"
    for name, frame in tables.items():
        write_table(frame, TABLES[name], out / name / part)
    for name, frame in oracle.items():
        write_table(frame, TRUTH_TABLES[name], truth / name / part)
    log.info("generated subscribers %d-%d of %d", lo + 1, hi, config.subscribers)
    return {name: len(frame) for name, frame in tables.items()} | {"_hi": hi}


def generate_operator(
    config: GeneratorConfig,
    out: Path,
    truth: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> dict:
    """Simulate the base; write the raw tables under `out` and the truth under `truth`
    (default `out.parent / "truth"`); return the manifest (also written as manifest.json).

    `progress(done, total)` is called after each block of subscribers. `workers` > 1
    simulates that many blocks at once in child processes (each block has its own seed
    stream and its own files, so the bytes are the same; memory is a block per worker).
    """
    if workers < 1:
        raise ValueError(f"workers: need at least 1, got {workers}")
    out = Path(out)
    truth = Path(truth) if truth is not None else out.parent / "truth"
    world = make_world(config.seed, config.start, config.days + VALUE_DAYS)
    n_blocks = -(-config.subscribers // config.block_size)
    rows = dict.fromkeys(TABLES, 0)
    blocks = range(n_blocks)
    args = ([config] * n_blocks, [world] * n_blocks, blocks, [out] * n_blocks, [truth] * n_blocks)
    # A fresh interpreter per worker ("spawn"): forking a parent whose Arrow or DuckDB
    # threads hold locks can deadlock the child.
    pool = (
        ProcessPoolExecutor(min(workers, n_blocks), mp_context=get_context("spawn"))
        if workers > 1 and n_blocks > 1
        else None
    )
    try:
        done = pool.map(_block, *args) if pool else map(_block, *args)
        for counts in done:  # in block order
            hi = counts.pop("_hi")
            for name, count in counts.items():
                rows[name] += count
            if progress:
                progress(hi, config.subscribers)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    manifest = {
        "generator": {  # the default scenario's manifest keeps its bytes
            k: v
            for k, v in asdict(config).items()
            if (k, v) not in (("effect", "default"), ("survival_truth", True))
        }
        | {"start": config.start.isoformat()},
        "data_start": config.start.isoformat(),
        "data_end": config.end.isoformat(),
        "time_zone": LOCAL_TIME_ZONE,
        "blocks": n_blocks,
        "rows": rows,
        "truth": os.path.relpath(truth, out),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest
