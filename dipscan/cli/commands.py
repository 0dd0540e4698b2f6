"""The `dipscan` command: run, figure, plot, export, compare, validate, schema, list, physics, tables, cache."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dipscan.cli.messages import print_error, print_note
from dipscan.errors import DipscanError

DEBUG_ENV = "DIPSCAN_DEBUG"  # set to show the traceback of an unexpected error


def _cmd_run(args, console: Console) -> int:
    from dipscan.cli.run import run_scenario, run_scenarios

    if args.output:
        if len(args.files) > 1:
            raise DipscanError("--output takes one scenario at a time")
        run_scenario(args.files[0], Path(args.output), console, args.confirm_large)
        return 0
    run_scenarios(args.files, console, args.executor, args.scheduler, args.workers,
                  args.confirm_large, recompute=args.recompute)
    return 0


def _cmd_schema(args, console: Console) -> int:
    from dipscan.config.presets import scenarios_dir
    from dipscan.config.schema import SCHEMA_DIR, write_schemas

    out = Path(args.out) if args.out else scenarios_dir() / SCHEMA_DIR
    for path in write_schemas(out):
        console.print(escape(f"wrote {path}"), highlight=False)
    return 0


def _cmd_plot(args, console: Console) -> int:
    from dipscan.cli.redraw import redraw

    for folder in args.folders:
        paths, seconds = redraw(Path(folder), always=True)
        console.print(escape(f"redrew {', '.join(str(p) for p in paths)} from the tables "
                             f"({seconds:.1f} s)"), highlight=False)
    return 0


def _cmd_export(args, console: Console) -> int:
    from dipscan.cli.hepdata import export_hepdata

    out, report = export_hepdata(Path(args.folder), Path(args.out) if args.out else None)
    console.print(escape(f"HEPData submission in {out}: {report}"), highlight=False)
    return 0


def _cmd_compare(args, console: Console) -> int:
    from dipscan.cli.compare import compare_runs, print_comparison, write_comparison

    frame = compare_runs(Path(args.a), Path(args.b), pairs=args.pair)
    path = write_comparison(frame, Path(args.a), Path(args.b), Path(args.csv) if args.csv else None)
    print_comparison(console, frame, Path(args.a), Path(args.b))
    console.print(escape(f"CSV in {path}"), highlight=False)
    return 0


def _cmd_figure(args, console: Console) -> int:
    from dipscan.cli.figures import load_figure, run_figure

    if args.output and len(args.files) > 1:
        raise DipscanError("--output takes one figure file at a time")
    for file in args.files:  # every file checked before any panel is computed
        load_figure(file)
    for file in args.files:
        run_figure(file, Path(args.output) if args.output else None, console)
    return 0


def _validate_preset(path: Path, console: Console) -> bool:
    """Check a file that is not a scenario (beam or experiment preset, figure, recast); False if it is one."""
    from dipscan.errors import ScenarioError, Shown
    from dipscan.io.toml_loader import read_toml

    folder = path.resolve().parent.name
    if folder not in ("beams", "experiments", "figures", "limits"):
        return False
    if folder == "beams":
        from dipscan.production.beams import parse_beam

        beam = parse_beam(read_toml(path)[1], path)
        what = f"beam preset {beam.name}"
    elif folder == "experiments":
        from dipscan.config.presets import _parse_preset

        spec, _ = _parse_preset(path.stem, path, read_toml(path)[1])
        what = f"experiment preset {spec.label}"
    elif folder == "figures":
        from dipscan.cli.figures import load_figure

        figure = load_figure(path)
        what = f"figure with {len(figure.panels)} panels"
    else:
        from dipscan.config.babar_recast import limits_dir, load_babar_recast

        if path.resolve().parent != limits_dir().resolve():
            raise ScenarioError(path, "", Shown("a recast outside the limits folder"),
                                f"a recast file in {limits_dir()} (recasts are named, not given by path)")
        what = f"recast {load_babar_recast(path.stem).label}"
    console.print(f"[green]ok[/green] {escape(str(path))}: {escape(what)}", soft_wrap=True, highlight=False)
    return True


def _cmd_validate(args, console: Console) -> int:
    from dipscan.cli.preflight import check_tables, estimate, scenario_notes
    from dipscan.config.scenario import load_scenario

    for file in args.files:
        if _validate_preset(Path(file), console):
            continue
        scenario = load_scenario(file)
        check_tables(scenario)  # the beam presets and table manifests it reads
        labels = ", ".join(spec.label for spec in scenario.experiments)
        console.print(f"[green]ok[/green] {escape(str(file))}: {scenario.model.kind}, "
                      f"{scenario.mass_grid.points} x {scenario.coupling_grid.points} grid; "
                      f"{escape(labels)}", soft_wrap=True, highlight=False)
        for note in scenario_notes(scenario):
            print_note(console, note)
        size = estimate(scenario)
        if size.over_limit() and not scenario.confirm_large:
            print_note(console, f"estimate: {size.describe()}, above the limits "
                       f"({'; '.join(size.over_limit())}): `dipscan run` stops unless confirmed "
                       "(`confirm_large = true` in [scenario] or `--confirm-large`)")
    return 0


def _cmd_list(args, console: Console) -> int:
    from dipscan.io.paths import toml_names  # file names only: listing loads no configuration

    for what, folder in (("scenarios", ""), ("experiment presets", "experiments"), ("beams", "beams"),
                         ("figures", "figures")):
        console.print(f"[bold]{what}[/bold]: " + escape(", ".join(toml_names(folder))))
    return 0


def _cmd_physics(args, console: Console) -> int:
    from dipscan.cli.physics_table import physics_frame, print_physics

    params = _model_params(args)
    frame = physics_frame(args.model, params, args.mass, args.coupling)
    if args.format == "csv":
        sys.stdout.write(frame.select("quantity", "parent_pdgid", "value").write_csv())
    else:
        print_physics(console, frame, args, params)
    if frame.filter(frame["quantity"] == "branching_ratio").height == 0:
        print_note(Console(stderr=True), f"no production channel is open at mass {args.mass:g} GeV: "
                   "no meson dipscan knows is heavy enough to produce it; the width is shown alone")
    return 0


REPORT_CSV_COLUMNS = ["pdgid", "name", "multiplicity", "table1", "frac_theta_lt_1p6mrad",
                      "frac_theta_lt_5p5mrad", "frac_theta_lt_28mrad", "mean_energy_GeV",
                      "pythia_multiplicity", "normalisation", "scale", "source"]


def _cmd_tables(args, console: Console) -> int:
    from dipscan.production import beams as beam_presets

    if args.action == "list":
        from dipscan.production.manifest import table_digests

        for beam in beam_presets.list_beams():
            try:
                files = escape(", ".join(table_digests(beam))) or "(no tables yet)"
            except DipscanError as err:
                files = f"[red]{escape(str(err))}[/red]"
            console.print(f"[bold]{escape(beam)}[/bold]: {files}")
        return 0
    if args.action == "generate":
        from dipscan.cli.executors import open_executor
        from dipscan.cli.progress import event_progress
        from dipscan.production.generate import generate_all

        names = beam_presets.list_beams() if args.all or not args.beams else args.beams
        unknown = sorted(set(names) - set(beam_presets.list_beams()))
        if unknown:
            raise DipscanError(f"tables generate: unknown beam {unknown[0]!r}; allowed: "
                               + ", ".join(beam_presets.list_beams()))
        if args.executor == "dask":
            with open_executor("dask", args.scheduler, args.workers) as executor:
                written = generate_all(force=args.force, beams=names, executor=executor,
                                       progress=event_progress(Console(stderr=True)))
        else:
            if args.scheduler:
                raise DipscanError("--scheduler: only with --executor dask")
            written = generate_all(workers=args.workers, force=args.force, beams=names,
                                   progress=event_progress(Console(stderr=True)))
        for beam, paths in written.items():
            console.print(escape(f"{beam}: {len(paths)} files in {paths[-1].parent}"))
        return 0
    from dipscan.cli.tables_report import render_report, report_table

    for beam in args.beams or beam_presets.list_beams():
        frame = report_table(beam)
        if args.format == "csv":
            sys.stdout.write(frame.select(REPORT_CSV_COLUMNS).write_csv())
        else:
            wide = console if console.is_terminal else Console(width=160)
            wide.print(render_report(frame, title=escape(f"{beam}: meson multiplicities per collision")))
    return 0


def _cmd_cache(args, console: Console) -> int:
    from dipscan.cli.run import CACHE_DIR
    from dipscan.io.sample_cache import cache_info, clear, default_cache_dir
    from dipscan.scan.overlays import clear_overlay_cache, overlay_cache_info

    folder = default_cache_dir(CACHE_DIR)
    if args.action == "clear":
        files, size = clear(folder)
        console.print(escape(f"removed {files} sample-cache entries ({size / 1e6:.1f} MB) from {folder}"),
                      soft_wrap=True, highlight=False)
        files, size = clear_overlay_cache(CACHE_DIR)
        console.print(escape(f"removed {files} overlay-cache files, relic lines and BaBar grids "
                             f"({size / 1e6:.1f} MB), from {CACHE_DIR}"), soft_wrap=True, highlight=False)
    else:
        for line in (cache_info(folder), overlay_cache_info(CACHE_DIR)):
            console.print(escape(line), soft_wrap=True, highlight=False)
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"found {text!r}; allowed: a whole number >= 1")
    return value


def _number_above(gt: float | None):
    """An argparse type: a finite number, greater than `gt` if given."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (gt is not None and value <= gt):
            raise argparse.ArgumentTypeError(
                f"found {text!r}; allowed: a finite number" + (f" > {gt:g}" if gt is not None else ""))
        return value

    return convert


_positive_float = _number_above(0.0)


def _model_options(phy: argparse.ArgumentParser) -> None:
    """--model and one option per model parameter, from the model registry."""
    from dipscan.physics.models import MODEL_KINDS, model_class

    phy.add_argument("--model", required=True, choices=list(MODEL_KINDS))
    seen: set[str] = set()
    for kind in MODEL_KINDS:
        for p in model_class(kind).PARAMS:
            if p.name not in seen:
                seen.add(p.name)
                phy.add_argument(f"--{p.name}", type=None if p.choices else _number_above(p.gt),
                                 choices=list(p.choices) or None, help=f"{p.doc} ({kind})")


class _Version(argparse.Action):
    """`--version`: the package version and, in a git checkout, the commit (asked only when used)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from dipscan.io.version import version_line

        print(version_line())
        parser.exit()


def build_parser(model_options: bool = True) -> argparse.ArgumentParser:
    """The argument parser; model_options=False leaves out the registry (for commands that do not need it)."""
    parser = argparse.ArgumentParser(prog="dipscan", description=__doc__)
    parser.add_argument("--version", action=_Version, help="version and git commit, then exit")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run scenario files, writing outputs/<name>/")
    run.add_argument("files", nargs="+")
    run.add_argument("--output", help="output folder (one scenario only)")
    run.add_argument("--executor", choices=["local", "dask"], default="local",
                     help="where a sweep of several scenarios runs (default: local processes)")
    run.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                     "(default with --executor dask: a local cluster)")
    run.add_argument("--workers", type=_positive_int, default=None,
                     help="parallel scenarios (local) or workers of a local Dask cluster")
    run.add_argument("--confirm-large", action="store_true",
                     help="run a grid above the size limits (see scenarios/README.md)")
    run.add_argument("--recompute", action="store_true",
                     help="compute even when only the figure's style changed since the last run")
    run.set_defaults(func=_cmd_run)

    fig = sub.add_parser("figure", help="figure files (scenarios/figures/*.toml): panels of "
                         "scenarios in one picture, writing outputs/<name>/")
    fig.add_argument("files", nargs="+")
    fig.add_argument("--output", help="output folder (one figure file only)")
    fig.set_defaults(func=_cmd_figure)

    plot = sub.add_parser("plot", help="redraw plot.png/plot.pdf of outputs/NAME from its tables")
    plot.add_argument("folders", nargs="+", metavar="outputs/NAME")
    plot.set_defaults(func=_cmd_plot)

    export = sub.add_parser("export", help="export a run: hepdata")
    export.add_argument("format", choices=["hepdata"])
    export.add_argument("folder", metavar="outputs/NAME")
    export.add_argument("--out", help="folder for the submission (default: outputs/NAME/hepdata); "
                        "must be new, empty or an earlier dipscan export")
    export.set_defaults(func=_cmd_export)

    cmp_ = sub.add_parser("compare", help="compare the curves two runs share")
    cmp_.add_argument("a", metavar="outputs/A")
    cmp_.add_argument("b", metavar="outputs/B")
    cmp_.add_argument("--pair", action="append", default=[], metavar="LABEL_A=LABEL_B",
                      help="also compare two curves with different labels (repeatable)")
    cmp_.add_argument("--csv", help="where to write the CSV (default: outputs/compare/A_vs_B.csv); "
                      "an existing file is never overwritten unless dipscan wrote it there")
    cmp_.set_defaults(func=_cmd_compare)

    val = sub.add_parser("validate", help="check scenario files (and presets, figure and recast files "
                         "in their folders beams/, experiments/, figures/, limits/) without running them")
    val.add_argument("files", nargs="+")
    val.set_defaults(func=_cmd_validate)

    sch = sub.add_parser("schema", help="write the JSON Schema of each TOML file kind (scenario, "
                         "experiment, beam, figure) for editors: scenarios/schema/ by default")
    sch.add_argument("--out", metavar="DIR", help="folder for the .json files")
    sch.set_defaults(func=_cmd_schema)

    lst = sub.add_parser("list", help="list scenarios, experiment presets and beams")
    lst.set_defaults(func=_cmd_list)

    phy = sub.add_parser("physics", help="branching ratios, width and c*tau at one point")
    if model_options:
        _model_options(phy)
    phy.add_argument("--mass", type=_positive_float, required=True, help="M1 or M_N in GeV")
    phy.add_argument("--coupling", type=_positive_float, required=True, help="d in GeV^-1")
    phy.add_argument("--format", choices=["table", "csv"], default="table")
    phy.set_defaults(func=_cmd_physics)

    tab = sub.add_parser("tables", help="meson tables: generate, report, list")
    tab.add_argument("action", choices=["generate", "report", "list"])
    tab.add_argument("beams", nargs="*")
    tab.add_argument("--all", action="store_true", help="every beam preset")
    tab.add_argument("--workers", type=_positive_int, default=None,
                     help="local worker processes (default: all cores), or local Dask workers")
    tab.add_argument("--executor", choices=["local", "dask"], default="local")
    tab.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    tab.add_argument("--force", action="store_true", help="regenerate even if cached")
    tab.add_argument("--format", choices=["table", "csv"], default="table")
    tab.set_defaults(func=_cmd_tables)

    cache = sub.add_parser("cache", help="the caches (LLP samples, relic lines, BaBar grids): info, clear")
    cache.add_argument("action", choices=["info", "clear"])
    cache.set_defaults(func=_cmd_cache)
    return parser


def _physics_arguments(args) -> str | None:
    """The model's own options must be given, and the other models' refused."""
    from dipscan.physics.models import MODEL_KINDS, model_class

    own = [p.name for p in model_class(args.model).PARAMS]
    for name in own:
        if getattr(args, name) is None:
            return f"--{name} is required for --model {args.model}"
    for kind in MODEL_KINDS:
        for p in model_class(kind).PARAMS:
            if p.name not in own and getattr(args, p.name) is not None:
                return (f"--{p.name} is for --model {kind}; {args.model} takes "
                        + ", ".join(f"--{name}" for name in own))
    return None


def _model_params(args) -> dict:
    from dipscan.physics.models import model_class

    return {p.name: getattr(args, p.name) for p in model_class(args.model).PARAMS}


def _interrupted(interrupt: KeyboardInterrupt) -> str:
    """Says truthfully what is on disk: which new outputs were installed before the signal."""
    from dipscan.cli.signals import signal_name
    from dipscan.io.outputs import SWAPS

    name = signal_name(interrupt)
    if not SWAPS.installed:
        return f"interrupted ({name}) before any new outputs were installed: earlier outputs are untouched"
    where = ", ".join(str(t) for t in SWAPS.installed)
    return (f"interrupted ({name}) after the new outputs were installed in {where}; "
            "every other output folder is untouched")


def main(argv: list[str] | None = None) -> int:
    from dipscan.cli.signals import exit_code, sigterm_as_interrupt
    from dipscan.io.outputs import SWAPS

    argv = sys.argv[1:] if argv is None else argv
    # dipscan's typed models use no pydantic plugin: without this, the first model built scans
    # every installed package's entry points for one (a few ms per command). A user's own
    # setting of the variable wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # The model registry (and with it numpy and the meson table) only for `dipscan physics`.
    args = build_parser(model_options="physics" in argv).parse_args(argv)
    console = Console(stderr=True)
    if args.command == "physics":
        problem = _physics_arguments(args)
        if problem:
            print_error(console, problem)
            return 2
    SWAPS.reset()
    try:
        with sigterm_as_interrupt():
            return args.func(args, Console() if args.command in ("physics", "list", "tables", "cache")
                             else console)
    except DipscanError as err:
        print_error(console, str(err))
        return 2
    except KeyboardInterrupt as interrupt:
        print_error(console, _interrupted(interrupt))
        return exit_code(interrupt)
    except MemoryError:
        print_error(console, "out of memory: make the grid coarser or lower "
                    "[sampling] llp_samples_max")
        return 1
    except Exception as err:
        if os.environ.get(DEBUG_ENV):
            raise
        where = f" ({err.filename})" if isinstance(err, OSError) and err.filename else ""
        print_error(console, f"unexpected {type(err).__name__}{where}: {err}; this is a dipscan "
                    f"bug: please report it with the scenario file (set {DEBUG_ENV}=1 for the "
                    "traceback)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
