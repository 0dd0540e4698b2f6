"""Run scenarios: checks first, progress by stage, outputs swapped in atomically, a closing summary."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import BrokenExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from dipscan.cli.messages import print_error, print_note
from dipscan.cli.preflight import preflight
from dipscan.cli.redraw import compute_digest, figure_up_to_date, only_style_changed, redraw
from dipscan.config.scenario import Scenario, load_scenario
from dipscan.errors import DipscanError, SweepError
from dipscan.io.outputs import (
    SWAPS,
    install_staged,
    staged_directory,
    staged_only,
    write_failure,
    write_json,
    write_table,
)
from dipscan.plot.canvas import preload as preload_drawing
from dipscan.plot.record import FIGURE_FORMATS

if TYPE_CHECKING:
    from dipscan.cli.progress import StageProgress
    from dipscan.scan.pipeline import ScenarioResult

MAX_CREDIBLE_BR = 0.1  # above this the dipole decay competes with the meson's own width


def compute(scenario: Scenario, **kwargs) -> ScenarioResult:
    """dipscan.scan.pipeline.compute, imported on first use: a run that only redraws never needs it."""
    from dipscan.scan.pipeline import compute as compute_scenario

    return compute_scenario(scenario, **kwargs)


def default_output_dir(scenario: Scenario) -> Path:
    """outputs/<scenario name>/ below the working directory (the repository root under make)."""
    return Path("outputs") / scenario.name


CACHE_DIR = Path("outputs") / ".cache"  # solved relic lines; safe to delete


def _loaded(scenario: str | Path | Scenario) -> Scenario:
    """A scenario file read and checked (raises before anything is written), or one already read."""
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def run_scenario(path: str | Path | Scenario, output_dir: Path | None = None,
                 console: Console | None = None,
                 confirm_large: bool = False) -> tuple[ScenarioResult, Path]:
    """One scenario in this process: checks, progress by stage, outputs, summary."""
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    scenario = _loaded(path)
    target = Path(output_dir) if output_dir else default_output_dir(scenario)
    notes = preflight(scenario, target, confirm_large)
    for note in notes:
        print_note(console, note)
    return _compute_and_write(scenario, target, console, t0, notes), target


def _compute_and_write(scenario: Scenario, target: Path, console: Console, t0: float,
                       notes: list[str]) -> ScenarioResult:
    from dipscan.cli.progress import StageProgress  # rich's live display: only when computing

    if draws_figure(scenario):
        preload_drawing()  # matplotlib's import overlaps the computing, in a thread
    with StageProgress(console, scenario.name) as progress:
        result = compute(scenario, progress=progress, cache_dir=CACHE_DIR)
        result.notes = notes
        write_outputs(result, target, console, time.perf_counter() - t0, progress)
    print_result(console, result, target)
    return result


def draws_figure(scenario: Scenario) -> bool:
    return any(ext in scenario.output.formats for ext in FIGURE_FORMATS)


def trim_sample_cache() -> None:
    """The sample cache back to its size limit (the sweep's units went in from the workers)."""
    from dipscan.io.sample_cache import SampleCache

    cache = SampleCache.open(CACHE_DIR)
    if cache:
        cache.trim()


def _warm_up() -> None:
    """A worker's first task: the imports of the sweep's tasks, while the sweep is planned.
    (Not numba's: the sweep may take every scenario from the events cache; a task that draws
    units starts it, `dipscan.scan.plan._draw_units_task`.)"""
    import dipscan.scan.pipeline  # noqa: F401


def _compute_remote(scenario: Scenario, ready: dict | None = None, target: Path | None = None,
                    started: float = 0.0, notes: tuple[str, ...] = ()
                    ) -> tuple[ScenarioResult, Path | None, list[str]]:
    """A scenario of a sweep, in a worker: computed and, with a `target`, its outputs written
    to a staging folder beside it (returned, for the main process to install). What returns is
    then only what the closing summary prints: the tables stay on disk."""
    from dipscan.cli.signals import sigterm_as_interrupt

    if target is not None and draws_figure(scenario):
        preload_drawing()  # matplotlib's import overlaps the computing, in a thread
    # Written here, on this machine's disks: the sweep trims the sample cache once, at its end.
    result = compute(scenario, cache_dir=CACHE_DIR, ready=ready, trim_cache=target is None)
    result.notes = list(notes)
    if target is None:
        return result, None, []
    SWAPS.reset()
    with sigterm_as_interrupt(), staged_only(target, scenario.name) as staging:
        write_into(staging, target, result, time.time() - started)
    return (dataclasses.replace(result, events=None, contours=None, bands={}), staging,
            list(SWAPS.leftovers))


def redraw_unchanged(scenarios: list[Scenario], console: Console) -> list[Scenario]:
    """Redraw the runs whose numbers would not change (only [plot] or styles were edited).

    Returns the scenarios that still need computing.
    """
    todo = []
    for scenario in scenarios:
        target = default_output_dir(scenario)
        if not only_style_changed(scenario, target):
            todo.append(scenario)
            continue
        if figure_up_to_date(target, scenario):
            console.print(escape(f"{scenario.name}: the outputs in {target} are up to date; "
                                 "nothing to write (--recompute to run it again)"), highlight=False)
            continue
        paths, seconds = redraw(target, scenario)
        drawn = f"redrew {', '.join(p.name for p in paths)}" if paths else "no figure to draw"
        console.print(escape(f"{scenario.name}: the numbers in {target} are up to date; {drawn} "
                             f"({seconds:.1f} s; --recompute to run it again)"), highlight=False)
    return todo


def check_distinct_targets(scenarios: list[Scenario]) -> None:
    """Two scenarios of one sweep must not write the same folder (the last would win)."""
    seen: dict[Path, Scenario] = {}
    for scenario in scenarios:
        target = default_output_dir(scenario)
        if target in seen:
            raise DipscanError(f"{seen[target].path} and {scenario.path} would both write {target} "
                               "(outputs are named after the file): rename one of them, or run "
                               "them one at a time with --output")
        seen[target] = scenario


def run_scenarios(paths: list[str | Path | Scenario], console: Console | None = None, executor: str = "local",
                  scheduler: str | None = None, workers: int | None = None,
                  confirm_large: bool = False, recompute: bool = True) -> list[Path]:
    """A sweep: every scenario is checked first, computed on the executor, written here.

    The results are the same bytes as one-by-one local runs: each scenario carries its seeds.
    A scenario that fails is reported in one line and the others are still written; then
    SweepError names the failed ones. With `recompute=False`, a scenario whose numbers are
    already in outputs/NAME is only redrawn (dipscan.cli.redraw).
    """
    console = console or Console(stderr=True)
    if not recompute:
        scenarios = [_loaded(path) for path in paths]  # every file checked before any work
        check_distinct_targets(scenarios)
        todo = redraw_unchanged(scenarios, console)
        done = [default_output_dir(s) for s in scenarios if s not in todo]
        if not todo:
            return done
        # the scenarios as read here: each file is read and checked once per run
        return done + run_scenarios(todo, console, executor, scheduler, workers, confirm_large)
    if len(paths) == 1 and executor == "local" and not scheduler:
        return [run_scenario(paths[0], None, console, confirm_large)[1]]
    scenarios = [_loaded(path) for path in paths]  # every file checked before any work
    check_distinct_targets(scenarios)
    notes = {}
    for scenario in scenarios:
        notes[scenario.name] = preflight(scenario, default_output_dir(scenario), confirm_large)
        for note in notes[scenario.name]:
            print_note(console, f"{scenario.name}: {note}")
    failed: list[str] = []
    targets: list[Path] = []
    from dipscan.cli.executors import open_executor

    def failure(scenario: Scenario, err: BaseException) -> None:
        message = str(err) if isinstance(err, DipscanError) else (
            f"{scenario.path}: {type(err).__name__}: {err}".rstrip(": "))
        print_error(console, message)
        failed.append(str(scenario.path))

    with open_executor(executor, scheduler, workers) as pool:
        # The workers start (a fresh interpreter each, with dipscan's imports) while the sweep
        # is planned here.
        for _ in range((workers or 2) if pool else 0):
            pool.submit(_warm_up)
        from dipscan.scan.pipeline import events_cached  # sampling code: only when computing
        from dipscan.scan.plan import plan_sweep

        # A scenario whose exposure-free events are cached draws nothing: none of its units.
        cached = [events_cached(s, CACHE_DIR) for s in scenarios]
        plan = plan_sweep(scenarios, cached)
        console.print(f"{plan.total} sampling units, {len(plan.unique)} distinct "
                      f"({100 * plan.shared_fraction:.0f}% shared between scenarios)"
                      + (f"; {sum(cached)} scenarios from the events cache" if any(cached) else ""))
        if pool is None:
            for scenario in scenarios:
                try:
                    _compute_and_write(scenario, default_output_dir(scenario), console,
                                       time.perf_counter(), notes[scenario.name])
                    targets.append(default_output_dir(scenario))
                except DipscanError as err:
                    failure(scenario, err)
        else:
            _sweep_on_pool(pool, plan, scenarios, notes, console, executor, scheduler,
                           workers or 2, targets, failure)
    if failed:
        raise SweepError(failed, len(scenarios))
    return targets


def _sweep_on_pool(pool, plan, scenarios: list[Scenario], notes: dict[str, list[str]],
                   console: Console, executor: str, scheduler: str | None, workers: int,
                   targets: list[Path], failure) -> None:
    """The sweep's shared work and its scenarios on the pool; each scenario written as it ends."""
    from dipscan.cli.progress import StageProgress
    from dipscan.scan.plan import sweep_works
    from dipscan.scan.sweep import run_sweep

    # Work several scenarios need (shared sampling units, relic lines) is done once, spread
    # over the pool; each scenario starts as soon as the work it reads is in.
    works, ready = sweep_works(plan, scenarios, CACHE_DIR, workers)
    # Outputs are written where they are computed when the workers share this machine's disks
    # (not on a remote Dask cluster), and installed here, one by one.
    stage_there = scheduler is None
    started = time.time()

    def submit(k: int):
        blocks, ready[k] = ready[k], {}  # each scenario's blocks travel with its task
        target = default_output_dir(scenarios[k]).resolve() if stage_there else None
        return pool.submit(_compute_remote, scenarios[k], blocks, target, started,
                           tuple(notes[scenarios[k].name]))

    with StageProgress(console, f"{len(scenarios)} scenarios on {executor}") as progress:
        progress("computing", 0, len(scenarios))
        sweep = run_sweep(works, len(scenarios), submit, pool, workers,
                          size=lambda k: len(plan.per_scenario[k]))
        try:
            for done, (k, future) in enumerate(sweep, start=1):
                scenario, target = scenarios[k], default_output_dir(scenarios[k])
                try:
                    result, staging, leftovers = future.result()
                    if staging is None:
                        write_outputs(result, target, console, time.time() - started)
                    else:  # removed if it cannot be installed, or on an interrupt
                        install_staged(staging, target, scenario.name)
                        SWAPS.leftovers.extend(leftovers)
                    print_result(console, result, target)
                    targets.append(target)
                except BrokenExecutor:
                    raise
                except Exception as err:  # one line per failed scenario; the sweep goes on
                    failure(scenario, err)
                progress("computing", done, len(scenarios))
        except BrokenExecutor as err:
            raise DipscanError(
                f"a worker process of the sweep died (killed, or out of memory) after "
                f"{len(targets)} of {len(scenarios)} scenarios were written; the others keep "
                "their earlier outputs: run them again, with fewer --workers or a coarser grid "
                "if memory is short") from err
    if stage_there:
        trim_sample_cache()


def write_outputs(result: ScenarioResult, target: Path, console: Console, seconds: float,
                  progress: StageProgress | None = None) -> None:
    """Every output file of one scenario, swapped in atomically."""
    with staged_directory(target, result.scenario.name) as folder:
        write_into(folder, target, result, seconds, progress)


def write_into(folder: Path, target: Path, result: ScenarioResult, seconds: float,
               progress: StageProgress | None = None) -> None:
    """Every output file of one scenario into a staging `folder` that will replace `target`."""
    # Here, not at the top: they load polars, which an up-to-date rerun never needs.
    from dipscan.cli.report import dominance_frame, provenance, summary_frame
    from dipscan.plot.plotting import figure_data, write_figure
    from dipscan.scan.bands import band_dominance_frame

    t1 = time.perf_counter()
    scenario = result.scenario
    formats = scenario.output.formats
    report = progress or (lambda stage, done, total: None)
    plots = [ext for ext in FIGURE_FORMATS if ext in formats]
    steps = 6 + bool(plots)
    with ThreadPoolExecutor(1, thread_name_prefix="dipscan-figure") as drawing:
        # The figure is drawn from the exported frames, exactly as `dipscan plot` redraws it.
        # Drawing holds the GIL and Polars' writers release it, so the figure is drawn in a
        # thread while the tables are written (the pool is joined before the folder is swapped
        # in or removed).
        figure = figure_data(result)
        paths = [folder / f"plot.{ext}" for ext in plots]
        plotted = drawing.submit(write_figure, figure, paths) if plots else None
        report("writing", 0, steps)
        events = result.events.drop("mass_index", "coupling_index")
        write_table(events, folder, "events", formats)
        report("writing", 1, steps)
        write_table(result.contours, folder, "contours", formats)
        report("writing", 2, steps)
        result.summary = summary_frame(result)
        write_table(result.summary, folder, "summary", ("csv",))
        report("writing", 3, steps)
        write_table(dominance_frame(result), folder, "dominant_channels", ("csv",))
        report("writing", 4, steps)
        write_table(result.exposure, folder, "exposure", ("csv",))
        if result.bands:
            write_table(band_dominance_frame(result), folder, "band_dominance", ("csv",))
        if figure.overlay_grid is not None:
            write_table(figure.overlay_grid, folder, "overlay_events", formats)
        report("writing", 5, steps)
        if plotted is not None:
            try:
                plotted.result()
            except OSError as err:
                raise write_failure(err, target / paths[0].name) from err
            report("writing", 6, steps)
        timings = dict(result.timings_s)
        timings["write_outputs"] = time.perf_counter() - t1
        timings["total"] = seconds + timings["write_outputs"]
        result.timings_s = timings
        record = provenance(result, timings)
        record.update(figure=figure.meta, compute_sha256=compute_digest(scenario),
                      output_formats=list(formats))
        write_json(record, folder / "provenance.json")
        report("writing", steps, steps)


def print_result(console: Console, result: ScenarioResult, target: Path) -> None:
    """The closing summary, exposure and notes of one written scenario."""
    print_summary(console, result.scenario, result.summary, target, result.timings_s["total"])
    print_exposure(console, result.exposure)
    if result.cache_note:
        print_note(console, result.cache_note)
    for note in result.omitted_channels:
        print_note(console, note)
    for overlay in result.overlays:
        for warning in overlay.warnings:
            print_note(console, warning, "warning")
    if result.max_branching_ratio > MAX_CREDIBLE_BR:
        print_note(console, f"branching ratios reach {result.max_branching_ratio:.2g} "
                   "at the top of the coupling grid: there the new decay is no longer a small "
                   "perturbation of the meson and the effective operator is not credible")
    for leftover in SWAPS.leftovers:
        print_note(console, leftover)
    SWAPS.leftovers.clear()


def print_exposure(console: Console, exposure) -> None:
    """Mesons produced per experiment (the N_M of eq. 4.1), so a reader sees where events come from."""
    from rich.table import Table  # only after a computed run: an up-to-date rerun prints none

    table = Table(title="mesons produced (N_M)")
    table.add_column("experiment")
    table.add_column("mesons")
    for label in dict.fromkeys(exposure["experiment"].to_list()):
        rows = exposure.filter(exposure["experiment"] == label).iter_rows(named=True)
        table.add_row(escape(label), escape(", ".join(f"{r['meson']} {r['n_produced']:.2g}"
                                                      for r in rows)))
    console.print(table)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def print_summary(console: Console, scenario: Scenario, summary, target: Path, seconds: float) -> None:
    from rich.table import Table

    from dipscan.scan.bands import format_with_band  # polars: only after a computed run

    table = Table(title=escape(f"{scenario.name}: N = {scenario.output.n_events:g} reach"))
    for column in ("experiment", "smallest d [GeV^-1] (band)", "at mass [GeV]",
                   "mass reach [GeV] (band)", "dominant channel", "band dominated by"):
        table.add_column(column)
    for row in summary.iter_rows(named=True):
        table.add_row(escape(row["experiment"]),
                      format_with_band(row["min_coupling_GeVinv"], row["min_coupling_pessimistic_GeVinv"],
                                       row["min_coupling_optimistic_GeVinv"]),
                      _fmt(row["mass_at_min_GeV"]),
                      format_with_band(row["mass_reach_GeV"], row["mass_reach_optimistic_GeV"],
                                       row["mass_reach_pessimistic_GeV"]),
                      escape(row["dominant_channel"] or "-"), escape((row["band_dominant_input"] or "-").replace("normalisation:", "norm. ")))
    console.print(table)
    console.print(f"outputs in {escape(str(target))} ({seconds:.1f} s)", soft_wrap=True,
                  highlight=False)
