"""The figure record of a run folder (provenance.json): read it, restyle it.

No drawing or table library here: a rerun whose figure is up to date only compares this record
(dipscan.cli.redraw.figure_up_to_date), so it never loads polars, contourpy or matplotlib.
"""

from __future__ import annotations

import json
from pathlib import Path

from dipscan.errors import DipscanError

FIGURE_FORMATS = ("png", "pdf")


def read_provenance(folder: Path) -> dict:
    path = Path(folder) / "provenance.json"
    if not path.is_file():
        raise DipscanError(f"{folder}: no provenance.json; allowed: an output folder written by "
                           "`dipscan run` (outputs/NAME)")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DipscanError(f"{path}: unreadable ({type(err).__name__}); run the scenario again") from None


def restyle_meta(meta: dict, scenario) -> dict:
    """The figure record of an earlier run with this scenario's [plot] and experiment styles."""
    styles = {spec.label: (spec.color, spec.linestyle) for spec in scenario.experiments}
    curves = [dict(c, color=styles[c["label"]][0], linestyle=styles[c["label"]][1])
              if c["kind"] in ("sensitivity", "limit") and c["label"] in styles else c
              for c in meta["curves"]]
    return dict(meta, curves=curves, plot=scenario.plot.to_dict())
