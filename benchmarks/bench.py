"""`make bench`: speed and memory of dipscan on this machine, printed and written to
outputs/bench/. Nothing here is asserted: timings are measurements, not tests.

Machines differ by up to 3x, so every target is printed as a ratio to a yardstick measured in
the same run: 20 million uniform doubles x from a seeded generator, then five times
`(np.exp(-x) * np.expm1(-0.5 * x)).sum()` (the median of all its measurements).

(t) the targets, each a fresh `dipscan run` in its own empty working folder (so its sample
    cache starts empty), timed from interpreter start to exit: the spine scenario cold; warm
    (`spine_warm`: the same command again, whose outputs are then up to date, so it computes
    and draws nothing); warm after changing only the POT (`spine_warm_other_pot`: the
    exposure-free event grid read from the events cache and scaled, then contours, bands and
    all outputs again; no sampling unit read, no weighting or reduction); one experiment on a
    100 x 100 grid; `make figures` (all figure scenarios on two
    workers, then the figure files), cold and warm, each command and the two together; the
    peak memory and CPU time of each; and the imports on the path of a run beyond numpy and
    polars (`run_path_imports`, from `python -X importtime`, the modules imported while
    reading the scenario included); and the FASER 2 reach on the 47 x 121 grid on which the
    public peer FORESEE was timed (benchmarks/scenarios/faser2_47x121.toml), cold
    (`faser2_47x121_cold`, empty sample cache) and warm (`faser2_47x121_warm_other_luminosity`:
    the outputs present, then only the luminosity changed, so the event grid is read from the
    events cache and scaled, and the rest computed again, as FORESEE reuses its saved
    spectra). Their goals are 30 times
    FORESEE's times in yardsticks: 223 s cold and 37 s warm on a machine whose yardstick took
    2.85 s, so <= 223 / 30 / 2.85 = 2.6 and <= 37 / 30 / 2.85 = 0.43. The yardstick is measured
    again before each target (the median is used), so that a machine whose load changes during
    the bench is compared with itself;
(a) one experiment on a 100 x 100 grid and the spine scenario: stages, peak memory, throughput;
(b) all figure scenarios one by one (in (a) and (b) the sample cache is off: every unit drawn);
(c) PYTHIA8 generation through dipscan against a bare PYTHIA8 loop with the same settings;
(d) where the time goes (cProfile summary of the spine scenario);
(e) the cost of uncertainty bands: the same scenario with and without, interleaved, medians;
(f) redrawing a figure from its tables (`dipscan plot`) against the full run of that scenario.
`python benchmarks/bench.py --targets` runs the yardstick and (t) only; `--no-figures` leaves
out the two long figure targets of (t).
Each measurement runs in a fresh interpreter so that peak memory is its own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "bench"
PY = sys.executable

SCENARIO_PROBE = r"""
import json, resource, sys, time
from pathlib import Path
from dipscan.scan.pipeline import compute
from dipscan.config.scenario import load_scenario
t0 = time.perf_counter()
scenario = load_scenario(sys.argv[1])
result = compute(scenario, cache_dir=Path("outputs") / ".cache")  # as the CLI does
wall = time.perf_counter() - t0
samples = sum(result.sample_counts.values())
grid = result.mass_GeV.size * result.coupling_GeVinv.size
print(json.dumps({"scenario": scenario.name, "wall_s": wall, "timings_s": result.timings_s,
                  "llp_samples": samples, "grid_points": grid,
                  "experiments": len(scenario.experiments),
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PROFILE_PROBE = r"""
import cProfile, io, pstats, sys
from dipscan.scan.pipeline import compute
from dipscan.config.scenario import load_scenario
scenario = load_scenario(sys.argv[1])
profile = cProfile.Profile()
profile.enable()
compute(scenario)
profile.disable()
stream = io.StringIO()
pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(12)
print(stream.getvalue())
"""

BARE_PYTHIA_PROBE = r"""
import json, sys, time
import pythia8mc
from dipscan.production.beams import load_beam
from dipscan.production.shard import pythia_settings
beam = load_beam(sys.argv[1])
production = next(p for p in beam.productions if p.name == sys.argv[2])
n = int(sys.argv[3])
wanted = {abs(m.pdgid) for m in production.mesons}
t0 = time.perf_counter()  # initialisation included, as in a dipscan shard
pythia = pythia8mc.Pythia("", False)
for line in pythia_settings(beam, production, 12345):
    pythia.readString(line)
pythia.init()
found = 0
for _ in range(n):
    if not pythia.next():
        continue
    for particle in pythia.event:
        if particle.idAbs() in wanted:
            found += 1
print(json.dumps({"events": n, "wall_s": time.perf_counter() - t0, "mesons": found}))
"""

DIPSCAN_PYTHIA_PROBE = r"""
import json, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from dipscan.production.beams import load_beam
from dipscan.production.shard import make_task, run_shard_in_worker, worker_init
if __name__ == "__main__":
    beam = load_beam(sys.argv[1])
    production = next(p for p in beam.productions if p.name == sys.argv[2])
    n, workers = int(sys.argv[3]), int(sys.argv[4])
    with tempfile.TemporaryDirectory() as tmp:
        tasks = [make_task(beam, production, i, n, Path(tmp) / f"{i}.parquet") for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                 initializer=worker_init) as pool:
            pool.submit(sum, []).result()  # workers up before the clock starts
            t0 = time.perf_counter()
            list(pool.map(run_shard_in_worker, tasks))
            wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "events": n * workers}))
"""

BANDS_PROBE = r"""
import dataclasses, json, statistics, sys, time
from dipscan.scan.pipeline import compute
from dipscan.config.scenario import load_scenario
from dipscan.config.uncertainties import UncertaintySpec
with_bands = load_scenario(sys.argv[1])
without = dataclasses.replace(with_bands, uncertainties=UncertaintySpec())
compute(without)  # warm-up: imports, caches
times = {"with": [], "without": []}
for _ in range(int(sys.argv[2])):  # interleaved, so that load drifts hit both alike
    for key, scenario in (("without", without), ("with", with_bands)):
        t0 = time.perf_counter()
        compute(scenario)
        times[key].append(time.perf_counter() - t0)
medians = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({"scenario": with_bands.name, "median_with_s": medians["with"],
                  "median_without_s": medians["without"],
                  "ratio": medians["with"] / medians["without"], "runs": times}))
"""


YARDSTICK_PROBE = r"""
import json, time
import numpy as np
t0, c0 = time.perf_counter(), time.process_time()
x = np.random.default_rng(12345).random(20_000_000)
for _ in range(5):
    (np.exp(-x) * np.expm1(-0.5 * x)).sum()
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}))
"""

# A command timed from interpreter start to exit, with the peak memory of it and its children.
TIMED_COMMAND_PROBE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
if done.returncode:
    sys.exit(done.stderr[-2000:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_MB": usage.ru_maxrss / 1024}))
"""

# Imports on the path of `dipscan run`: the modules a run imports before it computes, and those
# it imports while reading its scenario (presets, beams, colour names), beyond numpy and polars.
# Run under `python -X importtime`; the marks split the report into numpy + polars and the rest.
IMPORT_PROBE = r"""
import sys
sys.stderr.write("dipscan-bench: start\n")
import numpy, polars
sys.stderr.write("dipscan-bench: numpy and polars\n")
for name in sys.argv[2:]:
    __import__(name)
from dipscan.config.scenario import load_scenario
load_scenario(sys.argv[1])
sys.stderr.write("dipscan-bench: end\n")
"""

# Modules imported before a `dipscan run` starts computing (the plotting backend comes later).
RUN_PATH_MODULES = ("dipscan.cli.commands", "dipscan.cli.run", "dipscan.scan.pipeline", "dipscan.config.scenario")


def import_seconds(scenario: Path) -> dict:
    """Seconds of imports (outermost modules, as `-X importtime` reports them) of numpy + polars
    and of everything else a run imports before computing, reading `scenario` included."""
    done = subprocess.run([PY, "-X", "importtime", "-c", IMPORT_PROBE, str(scenario),
                           *RUN_PATH_MODULES], cwd=ROOT, env=probe_env(), capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"bench probe failed:\n{done.stderr[-3000:]}")
    part, seconds = None, {"numpy_polars_s": 0.0, "wall_s": 0.0}
    for line in done.stderr.splitlines():
        if line.startswith("dipscan-bench: "):
            part = {"start": "numpy_polars_s", "numpy and polars": "wall_s"}.get(line[15:])
        elif part and line.startswith("import time:") and "|" in line:
            _, cumulative_us, name = line.split("|")
            if not name.startswith("  "):  # outermost import: its time includes its children
                seconds[part] += int(cumulative_us) * 1e-6
    return seconds


# FORESEE, the public Python peer, on the FASER 2 47 x 121 grid (issue: speed): seconds cold,
# seconds reusing its saved spectra, and the yardstick of the machine that measured them.
FORESEE_COLD_S, FORESEE_WARM_S, FORESEE_YARDSTICK_S = 223.0, 37.0, 2.85
AHEAD_OF_FORESEE = 30.0  # the issue asks dipscan to be at least this many times faster

TARGETS = {  # name: ratio to the yardstick not to exceed (issue: speed)
    "spine_cold": 1.0,
    "spine_warm": 0.3,
    "one_experiment_100x100": 0.4,
    "make_figures_cold": 10.0,
    "run_path_imports": 0.1,
    "faser2_47x121_cold": FORESEE_COLD_S / AHEAD_OF_FORESEE / FORESEE_YARDSTICK_S,
    "faser2_47x121_warm_other_luminosity": FORESEE_WARM_S / AHEAD_OF_FORESEE / FORESEE_YARDSTICK_S,
}
PEAK_MEMORY_TARGET_MB = 2048.0


def median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


class Yardstick:
    """The yardstick, measured again before every target so that a machine whose load changes
    during the bench is compared with itself; the median of all measurements is used."""

    def __init__(self) -> None:
        self.runs: list[dict] = []

    def measure(self, repeats: int = 1) -> None:
        self.runs += [probe_json(YARDSTICK_PROBE) for _ in range(repeats)]

    @property
    def wall_s(self) -> float:
        return median([r["wall_s"] for r in self.runs])

    @property
    def cpu_s(self) -> float:
        return median([r["cpu_s"] for r in self.runs])


def dipscan_run(cwd: Path, *args: str, command: str = "run") -> dict:
    """`dipscan run ARGS` in `cwd` (its own outputs/ and sample cache), this checkout's code."""
    line = [PY, "-c", "import sys; from dipscan.cli.commands import main; sys.exit(main())", command, *args]
    return probe_json(TIMED_COMMAND_PROBE, *line, cwd=cwd)


def make_figures(workdir: Path, yardstick: Yardstick, runs: dict, name: str) -> None:
    """`make figures`: every figure scenario on two workers, then the figure files; the two
    commands are timed apart and together (`make_<name>`)."""
    yardstick.measure()
    (workdir / "figures").mkdir(exist_ok=True)
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("fig*.toml"))
    runs[name] = dipscan_run(workdir / "figures", *scenarios, "--workers", "2")
    figure_files = sorted(str(p) for p in (ROOT / "scenarios" / "figures").glob("*.toml"))
    runs[f"{name}_figure_files"] = dipscan_run(workdir / "figures", *figure_files, command="figure")
    parts = (runs[name], runs[f"{name}_figure_files"])
    runs[f"make_{name}"] = {"wall_s": sum(r["wall_s"] for r in parts),
                            "cpu_s": sum(r["cpu_s"] for r in parts),
                            "peak_rss_MB": max(r["peak_rss_MB"] for r in parts)}


def with_exposure(source: Path, target: Path, key: str, value: float) -> Path:
    """A copy of a scenario with every experiment's `KEY = ...` line (`pot`,
    `luminosity_invfb`) set to `value`."""
    lines = [f"{key} = {value:g}" if line.split("=")[0].strip() == key else line
             for line in source.read_text().splitlines()]
    target.write_text("\n".join(lines) + "\n")
    return target


def target_figures(workdir: Path, yardstick: Yardstick, figures: bool = True) -> dict:
    spine = ROOT / "scenarios" / "na62_delta0p01.toml"
    runs = {}

    def measure(name: str, folder: str, *args: str) -> None:
        yardstick.measure()
        (workdir / folder).mkdir(exist_ok=True)
        runs[name] = dipscan_run(workdir / folder, *args)

    measure("spine_cold", "spine", str(spine))
    measure("spine_warm", "spine", str(spine))
    other_pot = with_exposure(spine, workdir / "spine" / "na62_delta0p01.toml", "pot", 3e18)
    measure("spine_warm_other_pot", "spine", str(other_pot))
    measure("one_experiment_100x100", "one",
            str(ROOT / "benchmarks" / "scenarios" / "one_experiment_100x100.toml"))
    faser2 = ROOT / "benchmarks" / "scenarios" / "faser2_47x121.toml"
    measure("faser2_47x121_cold", "faser2", str(faser2))
    other_luminosity = with_exposure(faser2, workdir / "faser2" / faser2.name, "luminosity_invfb",
                                     1500)
    measure("faser2_47x121_warm_other_luminosity", "faser2", str(other_luminosity))
    if figures:
        make_figures(workdir, yardstick, runs, "figures_cold")
        make_figures(workdir, yardstick, runs, "figures_warm")
    yardstick.measure()
    imports = [import_seconds(spine) for _ in range(3)]
    runs["run_path_imports"] = {"wall_s": median([i["wall_s"] for i in imports]),
                                "numpy_polars_s": median([i["numpy_polars_s"] for i in imports])}
    return runs


def print_targets(yardstick: Yardstick, runs: dict) -> None:
    print(f"  yardstick: {yardstick.wall_s:.2f} s wall, {yardstick.cpu_s:.2f} s CPU "
          f"(median of {len(yardstick.runs)}, measured before every target)")
    for name, run in runs.items():
        ratio = run["wall_s"] / yardstick.wall_s
        limit = TARGETS.get(name)
        verdict = "" if limit is None else (f"  target <= {limit:.3g}: "
                                            + ("met" if ratio <= limit else "MISSED"))
        cpu = f" (CPU {run['cpu_s'] / yardstick.cpu_s:6.2f} x)" if "cpu_s" in run else ""
        memory = f"  peak {run['peak_rss_MB']:5.0f} MB" if "peak_rss_MB" in run else ""
        print(f"  {name:<24} {run['wall_s']:7.2f} s = {ratio:6.2f} x yardstick{cpu}{memory}{verdict}")
    peak = max(run.get("peak_rss_MB", 0.0) for run in runs.values())
    print(f"  peak memory of any run: {peak:.0f} MB (target <= {PEAK_MEMORY_TARGET_MB:.0f} MB: "
          + ("met" if peak <= PEAK_MEMORY_TARGET_MB else "MISSED") + ")")


def probe_env(**env_vars: str) -> dict[str, str]:
    """The environment of every measured process.

    This checkout's package first, whatever is installed (the bench may run on another copy).
    Python caches compiled bytecode as it does for any user: a PYTHONDONTWRITEBYTECODE in the
    calling shell would make every measured process compile dipscan's modules again.
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=path, **env_vars)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def probe(code: str, *args: str, cwd: Path = ROOT, **env_vars: str) -> str:
    done = subprocess.run([PY, "-c", code, *args], cwd=cwd, env=probe_env(**env_vars),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench probe failed:\n{done.stderr[-3000:]}")
    return done.stdout


def probe_json(code: str, *args: str, cwd: Path = ROOT, **env_vars: str) -> dict:
    """A probe whose last printed line is a JSON object."""
    return json.loads(probe(code, *args, cwd=cwd, **env_vars).strip().splitlines()[-1])


def scenario_figures(path: Path) -> dict:
    figures = probe_json(SCENARIO_PROBE, str(path), DIPSCAN_SAMPLE_CACHE_MB="0")
    reduction = figures["timings_s"].get("reduction", 0.0)
    figures["throughput_samples_x_couplings_per_s"] = (
        figures["llp_samples"] * figures["grid_points"] / figures["wall_s"])
    figures["reduction_share"] = reduction / figures["wall_s"]
    return figures


def generation_figures(beam: str, production: str, n_events: int) -> dict:
    bare = probe_json(BARE_PYTHIA_PROBE, beam, production, str(n_events))
    out = {"beam": beam, "production": production, "events": n_events,
           "bare_pythia_events_per_s": n_events / bare["wall_s"]}
    for workers in (1, 2):
        run = probe_json(DIPSCAN_PYTHIA_PROBE, beam, production, str(n_events), str(workers))
        rate = run["events"] / run["wall_s"]
        out[f"dipscan_events_per_s_{workers}_workers"] = rate
        out[f"ratio_to_bare_{workers}_workers"] = rate / out["bare_pythia_events_per_s"]
    return out


def timed(*args: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one `dipscan` command in a fresh interpreter, as a user runs it.

    CPU time (user + system) is the steadier figure on a machine shared with other jobs.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "dipscan.cli.commands", *args], check=True, cwd=ROOT, capture_output=True,
                   env=probe_env())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def redraw_figures(name: str, repeats: int = 3) -> dict:
    folder = OUT / "redraw" / name
    run_wall, run_cpu = timed("run", str(ROOT / "scenarios" / f"{name}.toml"), "--output", str(folder))
    redraws = [timed("plot", str(folder)) for _ in range(repeats)]
    wall = sorted(w for w, _ in redraws)[repeats // 2]
    cpu = sorted(c for _, c in redraws)[repeats // 2]
    return {"scenario": name, "run_wall_s": run_wall, "run_cpu_s": run_cpu,
            "redraw_wall_s_median": wall, "redraw_cpu_s_median": cpu,
            "redraw_over_run_wall": wall / run_wall, "redraw_over_run_cpu": cpu / run_cpu}


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                "python": sys.version.split()[0]},
                    "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    print("(t) targets, as ratios to the yardstick")
    yardstick = Yardstick()
    yardstick.measure(repeats=3)
    with tempfile.TemporaryDirectory(prefix="dipscan-bench-") as tmp:
        report["t"] = target_figures(Path(tmp), yardstick, figures="--no-figures" not in argv)
    report["yardstick"] = {"wall_s": yardstick.wall_s, "cpu_s": yardstick.cpu_s,
                           "runs": yardstick.runs}
    report["t_ratios"] = {name: run["wall_s"] / yardstick.wall_s
                          for name, run in report["t"].items()}
    print_targets(yardstick, report["t"])
    if "--targets" in argv:
        (OUT / "bench_targets.json").write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {OUT / 'bench_targets.json'}")
        return 0

    print("(a) single-scenario runs from the committed tables")
    report["a"] = [scenario_figures(ROOT / "benchmarks" / "scenarios" / "one_experiment_100x100.toml"),
                   scenario_figures(ROOT / "scenarios" / "na62_delta0p01.toml")]
    for fig in report["a"]:
        print(f"  {fig['scenario']:<28} {fig['wall_s']:6.2f} s  peak {fig['peak_rss_MB']:6.0f} MB  "
              f"{fig['llp_samples']:>9,d} LLP samples x {fig['grid_points']:,d} grid points  "
              f"stages: " + ", ".join(f"{k} {v:.2f}" for k, v in fig["timings_s"].items()))

    print("(b) all figure scenarios")
    figs = sorted((ROOT / "scenarios").glob("fig*.toml"))
    t0 = time.perf_counter()
    report["b"] = [scenario_figures(path) for path in figs]
    report["b_total_wall_s"] = sum(f["wall_s"] for f in report["b"])
    report["b_elapsed_s"] = time.perf_counter() - t0
    for fig in report["b"]:
        print(f"  {fig['scenario']:<28} {fig['wall_s']:6.2f} s  peak {fig['peak_rss_MB']:6.0f} MB")
    print(f"  all figure scenarios: {report['b_total_wall_s']:.1f} s of compute "
          f"({report['b_elapsed_s']:.1f} s with interpreter start-up)")

    print("(c) PYTHIA8 generation: dipscan against a bare loop with the same settings")
    report["c"] = generation_figures("sps400", "soft", 40000)
    c = report["c"]
    print(f"  bare PYTHIA8: {c['bare_pythia_events_per_s']:.0f} events/s on one core")
    for workers in (1, 2):
        print(f"  dipscan, {workers} worker(s): {c[f'dipscan_events_per_s_{workers}_workers']:.0f} "
              f"events/s = {c[f'ratio_to_bare_{workers}_workers']:.2f} x bare")

    print("(d) where the time goes (spine scenario, by own time)")
    report["d"] = probe(PROFILE_PROBE, str(ROOT / "scenarios" / "na62_delta0p01.toml"))
    print("\n".join("  " + line for line in report["d"].splitlines()[:30]))

    print("(e) uncertainty bands: with / without, same scenario (medians of interleaved runs)")
    report["e"] = [probe_json(BANDS_PROBE, str(ROOT / "scenarios" / name), "3")
                   for name in ("na62_delta0p01.toml", "fig2_delta0p01.toml")]
    for fig in report["e"]:
        print(f"  {fig['scenario']:<28} {fig['median_with_s']:6.2f} s with, "
              f"{fig['median_without_s']:6.2f} s without: ratio {fig['ratio']:.2f}")

    print("(f) redraw from the tables against the full run (fresh interpreters, wall time)")
    report["f"] = f = redraw_figures("fig2_delta0p01")
    print(f"  {f['scenario']}: run {f['run_wall_s']:.1f} s wall, {f['run_cpu_s']:.1f} s CPU; "
          f"redraw (median of 3) {f['redraw_wall_s_median']:.1f} s wall, "
          f"{f['redraw_cpu_s_median']:.1f} s CPU = {f['redraw_over_run_wall']:.3f} x the run "
          f"(wall), {f['redraw_over_run_cpu']:.3f} x (CPU)")

    (OUT / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {OUT / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
