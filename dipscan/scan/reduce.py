"""From LLP sample weights to event counts on the (mass, coupling) grid.

N(experiment, mass, d) = sum_channels BR_ch(mass, d) * sum_samples w_i * f_dec(L_i, L_f, bg_i c tau(mass, d))

The coupling only enters through BR ~ d^2 and c tau ~ 1/d^2, so the samples are crossed with
the coupling grid as a column operation: dense per mass for f_dec, in compiled passes
(`response_kernels`; numpy under DIPSCAN_KERNELS=numpy; either is ten times faster than a Polars
cross join of the same rows), then Polars lazy frames join the branching ratios and
form the per-channel and total counts. Before crossing, samples of one (experiment, mass,
channel) are merged into narrow bins of log10(beta gamma) that keep their summed weight and
weighted-mean beta gamma: f_dec is smooth in beta gamma on that scale (the default bin is
2.3% wide; its error on event counts is below 1e-3 where N > 1e-3, quadratic in the bin width),
and tests compare the result with the per-sample reference below.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from dipscan.physics.constants import HBARC_GeV_m
from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.decays.fdec import decay_probability

DEFAULT_BIN_DEX = 1e-2  # log10 width of the beta-gamma bins (2.3% in beta gamma)


@dataclass
class SampleBlock:
    """Weights and boosts of the LLP samples of one (experiment, mass index, channel, decay slice).

    An experiment whose acceptance depends on where the LLP decays splits its decay region into
    slices, one block each, with the acceptance of that slice folded into the weights.
    """

    experiment: str
    mass_index: int
    channel: str
    weight: np.ndarray  # expected LLPs per unit BR and f_dec (experiments.REFERENCE_COLLISIONS)
    betagamma: np.ndarray
    l_start_m: float
    l_end_m: float
    # Sum of squared weights per row (Monte Carlo variance); None: each row is one sample (w^2).
    weight_sq: np.ndarray | None = None


@dataclass
class GridInputs:
    """Everything the reduction needs besides the samples; couplings and masses as plain arrays."""

    mass_GeV: np.ndarray
    coupling_GeVinv: np.ndarray
    llp_width_per_d2: np.ndarray  # per mass: Gamma_LLP / d^2  [GeV^3]
    # (mass index, channel) -> branching ratio at every coupling of the grid (from the model)
    branching: dict[tuple[int, str], np.ndarray]
    experiments: list[str]  # labels, in output order


def compress_block(block: SampleBlock, bin_dex: float = DEFAULT_BIN_DEX) -> SampleBlock:
    """Merge samples whose log10(beta gamma) share a bin: summed weight, weighted-mean boost.

    The summed squared weights travel alongside (the Monte Carlo variance of the bin), without
    touching the central numbers.  Runs as the samples are drawn, so the pipeline never holds
    more than the bins; np.bincount adds in a fixed order: the same bytes on every run.
    """
    if kernel_choice() == "compiled":
        from dipscan.scan.response_kernels import bin_samples

        weight = np.ascontiguousarray(block.weight, dtype=float)
        w2 = weight * weight if block.weight_sq is None else block.weight_sq
        w, bg, w2 = bin_samples(weight, np.ascontiguousarray(block.betagamma, dtype=float),
                                np.ascontiguousarray(w2, dtype=float), bin_dex)
        return replace(block, weight=w, betagamma=bg, weight_sq=w2)
    positive = block.weight > 0
    w, bg = block.weight[positive], block.betagamma[positive]
    w2 = w * w if block.weight_sq is None else block.weight_sq[positive]
    if w.size == 0:
        return replace(block, weight=w, betagamma=bg, weight_sq=w2)
    # Bins are counted from the lowest occupied one, without sorting; the occupied ones come
    # out in increasing order, each summed in input order.
    # A span of bins far wider than the samples (an LLP at rest: log10(0)) falls back to sorting.
    key = np.floor(np.log10(bg) / bin_dex).astype(np.int64)
    if int(key.max()) - int(key.min()) <= 4 * key.size + 4096:
        index = key - key.min()
    else:
        _, index = np.unique(key, return_inverse=True)
    occupied = np.bincount(index) > 0
    w_sum = np.bincount(index, weights=w)[occupied]
    return replace(block, weight=w_sum,
                   betagamma=np.bincount(index, weights=w * bg)[occupied] / w_sum,
                   weight_sq=np.bincount(index, weights=w2)[occupied])


CHUNK_ROWS = 20_000  # bins crossed with the coupling grid at once (rows x couplings doubles)


def _decayed_llps(blocks: list[SampleBlock], grid: GridInputs, bin_dex: float,
                  variance: bool = False, threads: int = 1) -> pl.LazyFrame:
    """LLPs decaying in the detector per (experiment, mass, channel, coupling), per unit BR.

    The bins of all blocks of one mass share that mass's c tau(d) row, so the crossing with the
    coupling grid is one dense (bins x couplings) evaluation of f_dec per mass (`_crossed`).
    Slices of one experiment's decay region are then added together.  With ``variance``, the
    Monte Carlo variance sum_i w_i^2 f_dec,i^2 comes along as ``llps_var`` (slices of one sample
    add linearly in w and are treated as independent in the variance, a small overestimate for
    sliced geometries).  The compiled kernels release the GIL, so masses run on ``threads``
    threads; each mass is computed alone and the results are taken in mass order: the same
    bytes whatever the number of threads.
    """
    couplings = np.asarray(grid.coupling_GeVinv, dtype=float)
    by_mass: dict[int, list[SampleBlock]] = {}
    for block in blocks:
        by_mass.setdefault(block.mass_index, []).append(block)
    masses = sorted(by_mass)

    def crossed(mass_index: int):
        return _crossed(by_mass[mass_index], grid, mass_index, bin_dex, variance)

    if threads > 1 and len(masses) > 1 and kernel_choice() == "compiled":
        with ThreadPoolExecutor(min(threads, len(masses))) as pool:
            results = list(pool.map(crossed, masses))
    else:
        results = [crossed(m) for m in masses]
    rows: dict[str, list] = {"experiment": [], "mass_index": [], "channel": [], "llps": [],
                             "llps_var": []}
    for mass_index, (keys, totals, totals_var) in zip(masses, results, strict=True):
        for k, ((experiment, channel), llps) in enumerate(zip(keys, totals, strict=True)):
            rows["experiment"].append(experiment)
            rows["mass_index"].append(mass_index)
            rows["channel"].append(channel)
            rows["llps"].append(llps)
            if variance:
                rows["llps_var"].append(totals_var[k])
    n = len(rows["llps"])
    # Each label repeated over the couplings by a gather, not through a Python list of strings.
    each = np.repeat(np.arange(n), couplings.size)
    frame = pl.LazyFrame({
        "experiment": pl.Series(rows["experiment"], dtype=pl.String).gather(each),
        "mass_index": np.repeat(np.array(rows["mass_index"], dtype=np.int32), couplings.size),
        "coupling_index": np.tile(np.arange(couplings.size, dtype=np.int32), n),
        "channel": pl.Series(rows["channel"], dtype=pl.String).gather(each),
        "llps": np.concatenate(rows["llps"]) if n else np.empty(0),
    }, schema={"experiment": pl.String, "mass_index": pl.Int32, "coupling_index": pl.Int32,
               "channel": pl.String, "llps": pl.Float64})
    if variance:
        frame = frame.with_columns(llps_var=pl.Series(
            np.concatenate(rows["llps_var"]) if n else np.empty(0), dtype=pl.Float64))
    return frame


def _crossed(blocks: list[SampleBlock], grid: GridInputs, mass_index: int, bin_dex: float,
             variance: bool):
    """(keys, totals, totals_var) of one mass: the blocks binned, then sum_i w_i f_dec per
    (experiment, channel) key and coupling (and sum_i w2_i f_dec^2 with ``variance``)."""
    couplings = np.asarray(grid.coupling_GeVinv, dtype=float)
    blocks = [c for c in (compress_block(b, bin_dex) for b in blocks) if c.weight.size]
    ctau_m = HBARC_GeV_m / (grid.llp_width_per_d2[mass_index] * couplings**2)
    keys = list(dict.fromkeys((b.experiment, b.channel) for b in blocks))
    totals = np.zeros((len(keys), couplings.size))
    totals_var = np.zeros((len(keys), couplings.size)) if variance else None
    if not blocks:
        return keys, totals, totals_var
    if kernel_choice() == "compiled":
        _crossed_compiled(blocks, keys, ctau_m, totals, totals_var)
        return keys, totals, totals_var
    # The numpy reference: dense (rows x couplings) chunks, summed per block with reduceat.
    for chunk in _chunks(blocks):
        sizes = np.array([b.weight.size for b in chunk])
        bg = np.concatenate([b.betagamma for b in chunk])
        f_dec = decay_probability(np.repeat([b.l_start_m for b in chunk], sizes)[:, None],
                                  np.repeat([b.l_end_m for b in chunk], sizes)[:, None],
                                  bg[:, None] * ctau_m[None, :])
        weighted = np.concatenate([b.weight for b in chunk])[:, None] * f_dec
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        where = [keys.index((b.experiment, b.channel)) for b in chunk]
        np.add.at(totals, where, np.add.reduceat(weighted, starts, axis=0))
        if variance:
            w2 = np.concatenate([b.weight_sq for b in chunk])[:, None] * (f_dec * f_dec)
            np.add.at(totals_var, where, np.add.reduceat(w2, starts, axis=0))
    return keys, totals, totals_var


def _crossed_compiled(blocks: list[SampleBlock], keys: list[tuple[str, str]], ctau_m: np.ndarray,
                      totals: np.ndarray, totals_var: np.ndarray | None) -> None:
    """The chunk loop of `_crossed` in compiled passes: the exponents of f_dec, numpy's exp and
    expm1 in place, then each block's sums in row order (reduceat's order differs in the last
    bits)."""
    from dipscan.scan.response_kernels import decay_exponents, decayed_sums

    row_of = {key: k for k, key in enumerate(keys)}
    variance = totals_var is not None
    ctau_m = np.ascontiguousarray(ctau_m, dtype=float)
    for chunk in _chunks(blocks):
        starts = np.concatenate([[0], np.cumsum([b.weight.size for b in chunk])])
        exp_a, expm1_b = np.empty((starts[-1], ctau_m.size)), np.empty((starts[-1], ctau_m.size))
        decay_exponents(np.concatenate([b.betagamma for b in chunk]), starts,
                        np.array([b.l_start_m for b in chunk], dtype=float),
                        np.array([b.l_end_m for b in chunk], dtype=float), ctau_m, exp_a, expm1_b)
        np.exp(exp_a, out=exp_a)
        np.expm1(expm1_b, out=expm1_b)
        weight = np.concatenate([b.weight for b in chunk])
        decayed_sums(exp_a, expm1_b, weight,
                     np.concatenate([b.weight_sq for b in chunk]) if variance else weight, starts,
                     np.array([row_of[(b.experiment, b.channel)] for b in chunk], dtype=np.int64),
                     totals, totals_var if variance else totals, variance)


def _chunks(blocks: list[SampleBlock]):
    chunk, rows = [], 0
    for block in blocks:
        if chunk and rows + block.weight.size > CHUNK_ROWS:
            yield chunk
            chunk, rows = [], 0
        chunk.append(block)
        rows += block.weight.size
    if chunk:
        yield chunk


def event_counts(blocks: list[SampleBlock], grid: GridInputs,
                 bin_dex: float = DEFAULT_BIN_DEX, variance: bool = False,
                 threads: int = 1) -> pl.DataFrame:
    """Event counts per (experiment, mass, coupling, channel) plus `total` rows, as one frame.

    The crossing with the coupling grid is dense numpy per mass (`_decayed_llps`); the join with
    the branching ratios, the channel totals and the grid completion are Polars lazy frames.
    Joins and group-bys keep their input order and sums run in that order (`sequential_sum`):
    floating-point sums depend on the order of their terms, and the same scenario must give
    the same bytes.  With ``variance``, a column ``n_events_mc_var`` holds the Monte Carlo
    variance of each count (sum of w^2 f_dec^2 BR^2; channels add as independent samples).
    ``threads``: masses crossed with the couplings at once (compiled kernels only).
    """
    decayed = _decayed_llps(blocks, grid, bin_dex, variance, threads)
    branching = _branching_frame(grid)
    extra = [(pl.col("llps_var") * pl.col("br") ** 2).alias("n_events_mc_var")] if variance else []
    per_channel = (
        decayed.join(branching, on=["mass_index", "coupling_index", "channel"],
                     maintain_order="left")
        .with_columns(n_events=pl.col("llps") * pl.col("br"))
        .select("experiment", "mass_index", "coupling_index", "channel", "n_events", *extra)
    )
    collected = per_channel.collect()
    return _complete_grid(collected, grid, variance)


def sequential_sum(expr: pl.Expr) -> pl.Expr:
    """Sum of a group in row order. Polars' parallel group-by `sum` combines partial sums in an
    order that varies from run to run, which changes the last bits; a running sum does not."""
    return expr.cum_sum().last()


def _branching_frame(grid: GridInputs) -> pl.LazyFrame:
    couplings = np.asarray(grid.coupling_GeVinv, dtype=float)
    keys = list(grid.branching)
    if not keys:
        return pl.LazyFrame(schema={"mass_index": pl.Int32, "coupling_index": pl.Int32,
                                    "channel": pl.String, "br": pl.Float64})
    br = np.stack([np.broadcast_to(grid.branching[k], couplings.shape) for k in keys])
    return pl.LazyFrame({
        "mass_index": np.repeat(np.array([k[0] for k in keys], dtype=np.int32), couplings.size),
        "coupling_index": np.tile(np.arange(couplings.size, dtype=np.int32), len(keys)),
        "channel": np.repeat(np.array([k[1] for k in keys], dtype=object), couplings.size).tolist(),
        "br": br.ravel(),
    }, schema_overrides={"channel": pl.String})


def _complete_grid(per_channel: pl.DataFrame, grid: GridInputs,
                   variance: bool = False) -> pl.DataFrame:
    """Attach mass and coupling values and add `total` rows for every grid point, zero-filled."""
    masses = pl.DataFrame({"mass_index": np.arange(len(grid.mass_GeV), dtype=np.int32),
                           "mass_GeV": np.asarray(grid.mass_GeV, dtype=float)})
    couplings = pl.DataFrame({"coupling_index": np.arange(len(grid.coupling_GeVinv), dtype=np.int32),
                              "coupling_GeVinv": np.asarray(grid.coupling_GeVinv, dtype=float)})
    experiments = pl.DataFrame({"experiment": list(grid.experiments)},
                               schema={"experiment": pl.String})
    full = experiments.join(masses, how="cross").join(couplings, how="cross")
    sums = [sequential_sum(pl.col("n_events")).alias("n_events")]
    if variance:
        sums.append(sequential_sum(pl.col("n_events_mc_var")).alias("n_events_mc_var"))
    totals = per_channel.group_by("experiment", "mass_index", "coupling_index",
                                  maintain_order=True).agg(*sums)
    total_rows = (full.join(totals, on=["experiment", "mass_index", "coupling_index"], how="left")
                  .with_columns(pl.lit("total").alias("channel"),
                                *(pl.col(c.meta.output_name()).fill_null(0.0) for c in sums)))
    channel_rows = per_channel.join(masses, on="mass_index").join(couplings, on="coupling_index")
    columns = ["experiment", "mass_index", "coupling_index", "mass_GeV", "coupling_GeVinv",
               "channel", "n_events"] + (["n_events_mc_var"] if variance else [])
    out = pl.concat([channel_rows.select(columns), total_rows.select(columns)])
    # Rows ordered by experiment (in the scenario's order), mass, coupling and channel name, as
    # one integer key: the rank of each name among all names sorted as Polars sorts strings
    # (by code point), so no string comparison in the sort. Every key is distinct.
    order = {name: i for i, name in enumerate(grid.experiments)}
    names = sorted(set(out["channel"].unique().to_list()))
    n_names, n_mass, n_coupling = len(names), len(grid.mass_GeV), len(grid.coupling_GeVinv)
    key = ((pl.col("experiment").replace_strict(order, return_dtype=pl.Int64) * n_mass
            + pl.col("mass_index")) * n_coupling + pl.col("coupling_index")) * n_names \
        + pl.col("channel").replace_strict({c: i for i, c in enumerate(names)}, return_dtype=pl.Int64)
    return out.with_columns(_order=key).sort("_order").drop("_order")


def reference_event_counts(blocks: list[SampleBlock], grid: GridInputs) -> np.ndarray:
    """Straightforward per-sample evaluation, no binning: shape (experiment, mass, coupling).

    Slow but obviously right; the tests hold the fast path to it.
    """
    labels = list(grid.experiments)
    couplings = np.asarray(grid.coupling_GeVinv, dtype=float)
    out = np.zeros((len(labels), len(grid.mass_GeV), couplings.size))
    for b in blocks:
        e = labels.index(b.experiment)
        l_start, l_end = b.l_start_m, b.l_end_m
        branching = grid.branching[(b.mass_index, b.channel)]
        for j, d in enumerate(couplings):
            ctau = HBARC_GeV_m / (grid.llp_width_per_d2[b.mass_index] * d**2)
            f = decay_probability(l_start, l_end, b.betagamma * ctau)
            out[e, b.mass_index, j] += branching[j] * np.sum(b.weight * f)
    return out


def total_grid(events: pl.DataFrame, experiment: str, n_mass: int, n_coupling: int) -> np.ndarray:
    """The `total` rows of one experiment as a (mass, coupling) array."""
    rows = events.filter((pl.col("experiment") == experiment) & (pl.col("channel") == "total"))
    grid = np.zeros((n_mass, n_coupling))
    grid[rows["mass_index"].to_numpy(), rows["coupling_index"].to_numpy()] = rows["n_events"].to_numpy()
    return grid
