"""`make bench`: speed and memory figures of dipscan on this machine, printed and written to
outputs/bench/. Nothing here is asserted: timings are measurements, not tests.

(a) one experiment on a 100 x 100 grid (~1e6 LLP samples) and the spine scenario, from the
    committed tables: wall time, peak memory, throughput;
(b) all figure scenarios;
(c) PYTHIA8 generation through dipscan against a bare PYTHIA8 loop with the same settings;
(d) where the time goes (cProfile summary of the spine scenario);
(e) the cost of uncertainty bands: the same scenario with and without, interleaved, medians;
(f) redrawing a figure from its tables (`dipscan plot`) against the full run of that scenario.
Each measurement runs in a fresh interpreter so that peak memory is its own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "bench"
PY = sys.executable

SCENARIO_PROBE = r"""
import json, resource, sys, time
from pathlib import Path
from dipscan.pipeline import compute
from dipscan.scenario import load_scenario
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
from dipscan.pipeline import compute
from dipscan.scenario import load_scenario
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
from dipscan.pipeline import compute
from dipscan.scenario import load_scenario
from dipscan.uncertainties import UncertaintySpec
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


def probe(code: str, *args: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run([PY, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout


def probe_json(code: str, *args: str) -> dict:
    """A probe whose last printed line is a JSON object."""
    return json.loads(probe(code, *args).strip().splitlines()[-1])


def scenario_figures(path: Path) -> dict:
    figures = probe_json(SCENARIO_PROBE, str(path))
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
    subprocess.run([PY, "-m", "dipscan.cli", *args], check=True, cwd=ROOT, capture_output=True)
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


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                "python": sys.version.split()[0]},
                    "date": time.strftime("%Y-%m-%d %H:%M:%S")}
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
    sys.exit(main())
