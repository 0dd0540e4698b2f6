"""Run a scenario and write its outputs atomically, with rich progress and a closing summary."""

from __future__ import annotations

import time
from concurrent.futures import as_completed
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dipscan.executors import open_executor
from dipscan.outputs import staged_directory, write_json, write_table
from dipscan.pipeline import ScenarioResult, compute
from dipscan.plan import plan_sweep, prepare_sweep
from dipscan.report import dominance_frame, provenance, summary_frame
from dipscan.sample_cache import SampleCache
from dipscan.scenario import Scenario, load_scenario

MAX_CREDIBLE_BR = 0.1  # above this the dipole decay competes with the meson's own width


def default_output_dir(scenario: Scenario) -> Path:
    """outputs/<scenario name>/ below the working directory (the repository root under make)."""
    return Path("outputs") / scenario.name


CACHE_DIR = Path("outputs") / ".cache"  # solved relic lines; safe to delete


def run_scenario(path: str | Path, output_dir: Path | None = None,
                 console: Console | None = None) -> tuple[ScenarioResult, Path]:
    """One scenario in this process, with a progress bar."""
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    scenario = load_scenario(path)  # raises before anything is written
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"{scenario.name}: sampling", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{scenario.name}: {stage}", completed=done, total=total)

        result = compute(scenario, progress=report, cache_dir=CACHE_DIR)
    target = Path(output_dir) if output_dir else default_output_dir(scenario)
    write_outputs(result, target, console, time.perf_counter() - t0)
    return result, target


def _compute_remote(scenario: Scenario) -> ScenarioResult:
    return compute(scenario, cache_dir=CACHE_DIR)


def run_scenarios(paths: list[str | Path], console: Console | None = None, executor: str = "local",
                  scheduler: str | None = None, workers: int | None = None) -> list[Path]:
    """A sweep: every scenario is validated first, computed on the executor, written here.

    The results are the same bytes as one-by-one local runs: each scenario carries its seeds.
    """
    console = console or Console(stderr=True)
    scenarios = [load_scenario(path) for path in paths]  # every file checked before any work
    if executor == "local" and (len(scenarios) == 1 or workers == 1):
        return [run_scenario(s.path, None, console)[1] for s in scenarios]
    t0 = time.perf_counter()
    targets = []
    with open_executor(executor, scheduler, workers) as pool, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console, transient=True) as bar:
        plan = plan_sweep(scenarios)
        console.print(f"{plan.total} sampling units, {len(plan.unique)} distinct "
                      f"({100 * plan.shared_fraction:.0f}% shared between scenarios)")
        if pool is not None:
            bar.add_task("work shared between scenarios", total=None)
            prepare_sweep(plan, scenarios, pool, CACHE_DIR, workers or 2,
                          samples=SampleCache.open(CACHE_DIR) is not None)
        task = bar.add_task(f"{len(scenarios)} scenarios on {executor}", total=len(scenarios))
        futures = {pool.submit(_compute_remote, s): s for s in scenarios}
        for future in as_completed(futures):
            result = future.result()
            target = default_output_dir(result.scenario)
            write_outputs(result, target, console, time.perf_counter() - t0)
            targets.append(target)
            bar.advance(task)
    return targets


def write_outputs(result: ScenarioResult, target: Path, console: Console, seconds: float) -> None:
    """Every output file of one scenario, swapped in atomically, then the summary."""
    t1 = time.perf_counter()
    scenario = result.scenario
    formats = scenario.output.formats
    with staged_directory(target) as folder:
        events = result.events.drop("mass_index", "coupling_index")
        write_table(events, folder, "events", formats)
        write_table(result.contours, folder, "contours", formats)
        summary = summary_frame(result)
        write_table(summary, folder, "summary", ("csv",))
        write_table(dominance_frame(result), folder, "dominant_channels", ("csv",))
        write_table(result.exposure, folder, "exposure", ("csv",))
        plots = [folder / f"plot.{ext}" for ext in ("png", "pdf") if ext in formats]
        if plots:
            from dipscan.plotting import plot_contours  # matplotlib only when a plot is asked for

            plot_contours(result, plots)
        timings = dict(result.timings_s)
        timings["write_outputs"] = time.perf_counter() - t1
        timings["total"] = seconds + timings["write_outputs"]
        write_json(provenance(result, timings), folder / "provenance.json")
    print_summary(console, scenario, summary, target, timings["total"])
    print_exposure(console, result.exposure)
    for note in result.omitted_channels:
        console.print(f"[yellow]note:[/yellow] {note}")
    for overlay in result.overlays:
        for warning in overlay.warnings:
            console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if result.max_branching_ratio > MAX_CREDIBLE_BR:
        console.print(f"[yellow]note:[/yellow] branching ratios reach {result.max_branching_ratio:.2g} "
                      "at the top of the coupling grid: there the new decay is no longer a small "
                      "perturbation of the meson and the effective operator is not credible")


def print_exposure(console: Console, exposure) -> None:
    """Mesons produced per experiment (the N_M of eq. 4.1), so a reader sees where events come from."""
    table = Table(title="mesons produced (N_M)")
    table.add_column("experiment")
    table.add_column("mesons")
    for label in dict.fromkeys(exposure["experiment"].to_list()):
        rows = exposure.filter(exposure["experiment"] == label).iter_rows(named=True)
        table.add_row(label, ", ".join(f"{r['meson']} {r['n_produced']:.2g}" for r in rows))
    console.print(table)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def print_summary(console: Console, scenario: Scenario, summary, target: Path, seconds: float) -> None:
    table = Table(title=f"{scenario.name}: N = {scenario.output.n_events:g} reach")
    for column in ("experiment", "smallest d [GeV^-1]", "at mass [GeV]", "mass reach [GeV]",
                   "dominant channel"):
        table.add_column(column)
    for row in summary.iter_rows(named=True):
        table.add_row(row["experiment"], _fmt(row["min_coupling_GeVinv"]), _fmt(row["mass_at_min_GeV"]),
                      _fmt(row["mass_reach_GeV"]), row["dominant_channel"] or "-")
    console.print(table)
    console.print(f"outputs in {target} ({seconds:.1f} s)")
