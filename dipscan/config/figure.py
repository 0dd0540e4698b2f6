"""Figure files (`scenarios/figures/NAME.toml`): panels, each a scenario, drawn on shared axes.

The file's typed model (`FigureFile`) is its reader and its JSON Schema; see dipscan.cli.figures
for what `dipscan figure` draws and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from dipscan.config.presets import scenarios_dir
from dipscan.config.scenario import Scenario, load_scenario
from dipscan.errors import ScenarioError
from dipscan.io.toml_loader import Rule, Strict, flag, integer, load, read_toml, text


class FigureTable(Strict):
    """[figure]"""

    title: text() | None = None
    """figure title (none: the file stem)"""
    columns: integer(ge=1) | None = None
    """panels per row (none: all panels in a row)"""
    share_mass: flag = True
    """one mass axis for every panel"""
    share_coupling: flag = True
    """one coupling axis for every panel"""


class PanelTable(Strict):
    """[[panel]]: one scenario."""

    scenario: text()
    """scenario name, a file of scenarios/ without .toml"""
    title: text() | None = None
    """panel title (none: the scenario's own title)"""


class FigureFile(Strict):
    """A figure file, scenarios/figures/NAME.toml."""

    figure: FigureTable | None = None
    panel: Annotated[list[PanelTable], Field(min_length=1),
                     Rule("", wording="at least one [[panel]] table with a scenario")]


@dataclass(frozen=True)
class Panel:
    scenario: Scenario
    title: str


@dataclass(frozen=True)
class FigureSpec:
    path: Path
    name: str
    title: str
    columns: int
    share_mass: bool
    share_coupling: bool
    panels: tuple[Panel, ...]


def figures_dir() -> Path:
    return scenarios_dir() / "figures"


def list_figures() -> list[Path]:
    return sorted(figures_dir().glob("*.toml"))


def load_figure(path: str | Path) -> FigureSpec:
    """Read a figure file and every scenario it names; one-line ScenarioError on any mistake."""
    path = Path(path)
    f = load(FigureFile, read_toml(path)[1], path)
    meta = f.figure or FigureTable()
    panels = []
    for i, t in enumerate(f.panel):
        scenario_path = scenarios_dir() / f"{t.scenario}.toml"
        if "/" in t.scenario or "\\" in t.scenario or not scenario_path.is_file():
            names = ", ".join(p.stem for p in sorted(scenarios_dir().glob("*.toml")))
            raise ScenarioError(path, f"panel[{i}].scenario", t.scenario,
                                f"the name of a scenario of {scenarios_dir()}: {names}")
        scenario = load_scenario(scenario_path)
        panels.append(Panel(scenario, t.title if t.title is not None else scenario.title))
    columns = meta.columns if meta.columns is not None else len(panels)
    return FigureSpec(path=path, name=path.stem, title=meta.title if meta.title is not None else path.stem,
                      columns=min(columns, len(panels)), share_mass=meta.share_mass,
                      share_coupling=meta.share_coupling, panels=tuple(panels))
