"""`dipscan export hepdata outputs/NAME`: a HEPData submission built with hepdata_lib.

One table per curve. An experiment's table holds the lower and upper edges of its region against
mass, read off the exported event grid at every scan mass (log-log interpolation of N between
coupling grid points, the same interpolation the contours use); overlays (BaBar, the thermal
relic, literature limits, the user's curves) hold their contour points. Where the run carries an
uncertainty band (`n_events_pessimistic` / `n_events_optimistic` columns), the pessimistic and
optimistic edges are further columns of the experiment's table. The submission is validated offline with hepdata-validator
(its schemas ship with the package; no remote schema is used).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
import polars as pl

from dipscan.errors import DipscanError
from dipscan.io.outputs import check_target, record_files, staged_directory
from dipscan.plot.plotting import BAND_COLUMNS, central, read_table, shading_grid
from dipscan.plot.record import read_provenance

SUBMISSION_FOLDER = "submission"  # the YAML files; submission.tar.gz (for upload) sits beside it
DEFAULT_FOLDER = "hepdata"  # inside the run folder: a recomputed run drops its stale export

DIGITS = 8  # significant digits written (hepdata_lib's default is 5)
NO_REGION = "-"  # HEPData's mark for a missing value: this curve has no region at this mass


def _model_description(kind: str) -> str:
    """The operator in words, from the model registry; the kind itself for a kind it does not hold."""
    from dipscan.physics.models import MODEL_KINDS, model_class

    return model_class(kind).DESCRIPTION if kind in MODEL_KINDS else kind


def edges(couplings: np.ndarray, n_events: np.ndarray, level: float) -> tuple[object, object] | None:
    """(lower, upper) d where N crosses `level` at one mass, log-log interpolated; None if N < level.

    An edge beyond the coupling grid is the text "<d_min" or ">d_max" of the grid's ends.
    """
    above = n_events >= level
    if not above.any():
        return None
    with np.errstate(divide="ignore"):
        logn, logd, target = np.log10(n_events), np.log10(couplings), np.log10(level)

    def crossing(k: int) -> float:  # between grid points k and k + 1
        y0, y1 = logn[k], logn[k + 1]
        t = 0.0 if not np.isfinite(y0) else (target - y0) / (y1 - y0)
        return float(10 ** (logd[k] + t * (logd[k + 1] - logd[k])))

    first, last = int(np.argmax(above)), int(above.size - 1 - np.argmax(above[::-1]))
    lower = f"<{couplings[0]:.8g}" if first == 0 else crossing(first - 1)
    upper = f">{couplings[-1]:.8g}" if last == above.size - 1 else crossing(last)
    return lower, upper


def edge_rows(events: pl.DataFrame, label: str, level: float,
              column: str = "n_events") -> dict[float, tuple[object, object]]:
    masses, couplings, grid = shading_grid(events, label, column)
    out = {}
    for i, mass in enumerate(masses):
        found = edges(couplings, grid[i], level)
        if found is not None:
            out[float(mass)] = found
    return out


def _safe_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", " ", label).strip()


def _variable(name: str, independent: bool, units: str = ""):
    from hepdata_lib import Variable

    variable = Variable(name, is_independent=independent, is_binned=False, units=units)
    variable.digits = DIGITS
    return variable


def _qualifiers(variable, record: dict, qualifiers: dict) -> None:
    model = record["model"]
    variable.add_qualifier("model", _model_description(model["kind"]))
    for key in ("delta", "flavour"):
        if key in model:
            variable.add_qualifier(key, model[key])
    for name, value in qualifiers.items():
        if isinstance(value, tuple):
            variable.add_qualifier(name, value[0], value[1])
        else:
            variable.add_qualifier(name, value)
    variable.add_qualifier("dipscan version", record.get("versions", {}).get("dipscan", "unknown"))


def experiment_table(record: dict, spec: dict, events: pl.DataFrame):
    from hepdata_lib import Table

    label, level = spec["label"], spec["contour_level_events"]
    curves = {"": edge_rows(events, label, level)}
    if all(c in events.columns for c in BAND_COLUMNS):  # a run with uncertainty bands
        for column, name in zip(BAND_COLUMNS, (", pessimistic", ", optimistic"), strict=True):
            rows = edge_rows(events, label, level, column)
            if rows:
                curves[name] = rows
    kind = "sensitivity" if spec.get("statistics") is None else "recast limit"
    table = Table(_safe_name(label))
    table.description = (
        f"{label}: {kind}, region with N >= {level:.4g} expected events; lower and upper edges in "
        "d at each scan mass, log-log interpolated on the grid ('<x' or '>x': beyond the end x of "
        f"the coupling grid; '{NO_REGION}': no region at this mass)"
        + ("; the pessimistic and optimistic columns are the edges of the uncertainty band."
           if len(curves) > 1 else "."))
    masses = sorted(set().union(*curves.values()))
    if not masses:
        table.description += " No scan point reaches the level: the table is empty."
    table.location = f"dipscan run of scenario {record['scenario']['name']}"
    mass = _variable("mass", True, "GeV")
    mass.values = masses
    table.add_variable(mass)
    threshold, _ = spec["photon_window_GeV"]
    for side, edge in enumerate(("lower", "upper")):
        for suffix, rows in curves.items():
            variable = _variable(f"d {edge} edge{suffix}", False, "GeV^-1")
            variable.values = [rows[m][side] if m in rows else NO_REGION for m in masses]
            _qualifiers(variable, record, {
                "experiment": label, "exposure": spec["exposure"],
                "photon threshold": (threshold, "GeV"), "event level N": level,
                "result": kind, "geometry mode": spec.get("geometry_mode", "")})
            table.add_variable(variable)
    return table


def overlay_table(record: dict, label: str, rows: pl.DataFrame):
    from hepdata_lib import Table

    table = Table(_safe_name(label))
    table.description = (f"{label}: points of the curve drawn beside the experiments "
                         f"(branch {', '.join(dict.fromkeys(rows['branch'].to_list()))}), in "
                         "drawing order; segment numbers separate disconnected pieces.")
    table.location = f"dipscan run of scenario {record['scenario']['name']}"
    mass = _variable("mass", True, "GeV")
    mass.values = rows["mass_GeV"].to_list()
    table.add_variable(mass)
    coupling = _variable("d", False, "GeV^-1")
    coupling.values = rows["coupling_GeVinv"].to_list()
    _qualifiers(coupling, record, {"curve": label, "result": "overlay"})
    table.add_variable(coupling)
    segment = _variable("segment", False)
    segment.values = [int(s) for s in rows["segment"].to_list()]
    _qualifiers(segment, record, {"curve": label, "result": "overlay"})
    table.add_variable(segment)
    return table


def build_submission(folder: Path):
    from hepdata_lib import Submission

    record = read_provenance(folder)
    contours = central(read_table(folder, "contours"))
    events = read_table(folder, "events")
    submission = Submission()
    submission.comment = (f"dipscan {record.get('versions', {}).get('dipscan', '')}: scenario "
                          f"{record['scenario']['name']} (sha256 {record['scenario']['sha256']}); "
                          "expected-event regions of dipole-coupled dark-sector particles "
                          "(arXiv:2406.17599).")
    labels = []
    for spec in record["experiments"]:
        submission.add_table(experiment_table(record, spec, events))
        labels.append(spec["label"])
    for label in dict.fromkeys(contours["experiment"].to_list()):
        if label not in labels:
            submission.add_table(overlay_table(
                record, label, contours.filter(pl.col("experiment") == label)))
    submission.add_additional_resource("dipscan provenance: inputs, versions, seeds",
                                       str(Path(folder).resolve() / "provenance.json"),
                                       copy_file=True)
    return submission, record


def validate_submission(folder: Path) -> list[str]:
    """Messages of hepdata-validator for a submission folder; empty when valid (offline)."""
    from hepdata_validator.full_submission_validator import FullSubmissionValidator

    validator = FullSubmissionValidator(autoload_remote_schemas=False)
    if validator.validate(directory=str(folder)):
        return []
    return [f"{Path(name).name}: {m.message.strip()}"
            for name, messages in validator.get_messages().items() for m in messages
            if m.message.strip()] or ["hepdata-validator reports it invalid"]


def export_hepdata(folder: Path, out: Path | None = None) -> tuple[Path, str]:
    """Write and validate the HEPData submission of a run; returns the folder and a summary."""
    folder = Path(folder)
    out = Path(out) if out is not None else folder / DEFAULT_FOLDER
    record = read_provenance(folder)
    owner = f"hepdata export of {record['scenario']['name']}"  # names the export's marker
    check_target(out, owner)  # a folder dipscan did not write is refused before any work
    submission, record = build_submission(folder)
    with staged_directory(out, owner) as staging:
        with contextlib.chdir(staging):  # hepdata_lib writes its archive in the working folder
            submission.create_files(outdir=SUBMISSION_FOLDER, validate=False)
        problems = validate_submission(staging / SUBMISSION_FOLDER)
        if problems:
            raise DipscanError(f"{folder}: the HEPData submission is not valid: {problems[0]}")
    if out.parent.resolve() == folder.resolve():
        record_files(folder, [out.name])  # the next run of the scenario may replace it
    tables = len(submission.tables)
    return out, (f"{tables} tables in {SUBMISSION_FOLDER}/, archive submission.tar.gz; "
                 "hepdata-validator: valid")
