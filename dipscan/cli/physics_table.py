"""`dipscan physics`: branching ratios of the open channels and the LLP width at one point."""

from __future__ import annotations

import numpy as np
import polars as pl
from rich.console import Console

from dipscan.cli.tableview import print_frame
from dipscan.physics.constants import HBARC_GeV_m
from dipscan.physics.models import make_model


def physics_frame(kind: str, params: dict, mass_GeV: float, coupling_GeVinv: float) -> pl.DataFrame:
    """Rows: one `branching_ratio` per open channel (keyed by parent PDG id), then width and c*tau."""
    model = make_model(kind, **params)
    rows = []
    for channel in model.channels(mass_GeV):
        br = float(np.asarray(model.branching_ratio(channel, mass_GeV, coupling_GeVinv)))
        rows.append(("branching_ratio", channel.parent_pdgid, br, channel.name))
    width = coupling_GeVinv**2 * model.llp_width_per_d2(mass_GeV)
    rows.append(("width_GeV", 0, width, f"LLP (mass {model.llp_mass_GeV(mass_GeV):.6g} GeV)"))
    rows.append(("ctau_m", 0, HBARC_GeV_m / width if width > 0 else float("inf"), "LLP"))
    return pl.DataFrame(rows, schema={"quantity": pl.String, "parent_pdgid": pl.Int64,
                                      "value": pl.Float64, "description": pl.String}, orient="row")


def print_physics(console: Console, frame: pl.DataFrame, args, params: dict) -> None:
    title = f"{args.model}, mass {args.mass:g} GeV, d = {args.coupling:g} GeV^-1" + "".join(
        f", {name} = {value:g}" if isinstance(value, float) else f", {name} {value}"
        for name, value in params.items())
    print_frame(console, frame.select("description", "quantity", "parent_pdgid", "value"), title)
