"""The training sample: stratified, seeded and weighted, drawn in DuckDB from a snapshot file.

Per snapshot of N eligible subscribers and a target of T rows (`SampleConfig.rows`):

- N <= T (or T = 0): every row, weight 1.
- Otherwise two strata. **Kept**: every churner and every subscriber in the top value tiers
  (trailing revenue per 30 days at or above `SegmentConfig.large_vnd`: super and large, read
  as `features.labels.trailing_revenue_vnd_90d` reads revenue, top-ups for an operator
  without usage). **Rest**: everyone else. The kept stratum is taken whole while it fits in
  half the target, and the rest fills the target; a kept stratum larger than that is itself
  sampled to half the target (so memory stays set by T whatever the base; the manifest says
  when it happened). Each stratum h is a simple random sample without replacement of n_h of
  its N_h rows, the n_h smallest of a seeded hash of subscriber_id (the same seed gives the
  same sample; a subscriber keeps its hash across cutoffs); its rows weigh
  `sample_weight` = N_h / n_h, the inverse inclusion probability, so the weights of a
  snapshot sum to N and weighted means, rates and totals estimate the base's without bias.
- `uniform_draw`: an equal-probability subsample of the sample (each row kept with
  probability q / p_h from a second seeded hash, q = the smaller stratum rate), so every
  subscriber of the base is in it with the same probability q. Validation and test are
  read from it: calibration, early stopping and every evaluation metric are then unbiased
  without weights (they are equal in it), and nothing downstream needs a weighted variant.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

__all__ = ["SampleConfig", "Strata", "sample_sql", "strata"]

_MEMORY = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)")
_UNIT = 18446744073709551616.0  # 2**64: DuckDB's hash() as a uniform number in [0, 1)


@dataclass(frozen=True)
class SampleConfig:
    """rows: target sampled rows per monthly snapshot (0 = the whole base, unsampled).
    duckdb_memory: DuckDB's memory while it writes the labelled snapshots the sample is
    drawn from; beyond it DuckDB spills to disk ("" = DuckDB's default, 80% of the RAM).
    The snapshot's aggregates grow with the base (at 1M subscribers one peaks at 3.3 GiB
    unbounded, 1.2 GiB with 1GB), so with the sample it is what sets training's memory."""

    rows: int = 100_000
    duckdb_memory: str = "1GB"

    def __post_init__(self) -> None:
        if self.rows < 0 or (0 < self.rows < 100):
            raise ValueError(f"sample.rows: need 0 (whole base) or at least 100, got {self.rows}")
        if self.duckdb_memory and not _MEMORY.fullmatch(self.duckdb_memory):
            raise ValueError(
                "sample.duckdb_memory: need a size such as 1GB or 512MB (or empty for DuckDB's "
                f"default), got {self.duckdb_memory[:40]!r}"
            )

    def describe(self, seed: int) -> dict:
        return asdict(self) | {"seed": seed}


@dataclass(frozen=True)
class Strata:
    """One snapshot's population and sample per stratum: kept (churners, top tiers), rest."""

    population: int
    churners: int
    kept: int  # N of the kept stratum
    rest: int  # N of the rest
    kept_rows: int  # n sampled from the kept stratum
    rest_rows: int

    @property
    def uniform_rate(self) -> float:
        """q: every subscriber's probability of being in the equal-probability subsample."""
        pairs = ((self.kept_rows, self.kept), (self.rest_rows, self.rest))
        return min((n / big for n, big in pairs if big), default=1.0)

    def describe(self) -> dict:
        return {
            "kept_population": self.kept,
            "kept_sampled": self.kept_rows,
            "rest_population": self.rest,
            "rest_sampled": self.rest_rows,
            "kept_whole": self.kept_rows == self.kept,
            "uniform_rate": round(self.uniform_rate, 8),
        }


def _kept_sql(label: str, top_monthly_vnd: float) -> str:
    monthly = "coalesce(revenue_vnd_sum_90d, recharge_vnd_sum_90d) / 3.0"
    return f"(coalesce({label}, 0) = 1 OR coalesce({monthly} >= {float(top_monthly_vnd)!r}, false))"


def _scan(path: Path) -> str:
    return f"read_parquet('{Path(path)}')"


def strata(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    label: str,
    top_monthly_vnd: float,
    sample: SampleConfig,
    seed: int,
) -> Strata:
    """Count the strata of one snapshot file and allocate the target between them."""
    n, churners, kept = con.execute(
        f"SELECT count(*), coalesce(sum({label}), 0), "
        f"coalesce(sum(CAST({_kept_sql(label, top_monthly_vnd)} AS INTEGER)), 0) "
        f"FROM {_scan(path)}"
    ).fetchone()
    rest, target = n - kept, sample.rows
    if target == 0 or n <= target:
        return Strata(n, int(churners), kept, rest, kept, rest)
    kept_rows = min(kept, max(target // 2, target - rest))
    rest_rows = min(rest, target - kept_rows)
    return Strata(n, int(churners), kept, rest, kept_rows, rest_rows)


def sample_sql(path: Path, label: str, top_monthly_vnd: float, s: Strata, seed: int) -> str:
    """The sampled rows of one snapshot file with `sample_weight` and `uniform_draw`.

    The ranking within each stratum reads only `subscriber_id` and the stratum's columns,
    and the file is semi-joined to the chosen ids (a hash table of the sample's ids): a
    window over whole rows would hold every column of the whole base at once (memory
    growing with the base, not the sample)."""
    seed = int(seed)
    q = s.uniform_rate
    kept_w = s.kept / s.kept_rows if s.kept_rows else 0.0
    rest_w = s.rest / s.rest_rows if s.rest_rows else 0.0
    kept_keep = q * s.kept / s.kept_rows if s.kept_rows else 0.0
    rest_keep = q * s.rest / s.rest_rows if s.rest_rows else 0.0
    kept = _kept_sql(label, top_monthly_vnd)
    return f"""
WITH ranked AS (
  SELECT subscriber_id, {kept} AS _kept,
    row_number() OVER (PARTITION BY {kept}
                       ORDER BY hash(subscriber_id, {seed}), subscriber_id) AS _rank
  FROM {_scan(path)}
),
chosen AS (
  SELECT subscriber_id FROM ranked
  WHERE _rank <= CASE WHEN _kept THEN {s.kept_rows} ELSE {s.rest_rows} END
)
SELECT *,
  CASE WHEN {kept} THEN {kept_w!r} ELSE {rest_w!r} END AS sample_weight,
  hash(subscriber_id, {seed}, 1) / {_UNIT!r}
    < CASE WHEN {kept} THEN {kept_keep!r} ELSE {rest_keep!r} END AS uniform_draw
FROM {_scan(path)} SEMI JOIN chosen USING (subscriber_id)
ORDER BY subscriber_id"""
