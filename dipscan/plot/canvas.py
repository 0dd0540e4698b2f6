"""The matplotlib side of a figure file: an empty figure, its layout, saving it, and importing it.

matplotlib is imported only when a figure is drawn (a run that fails early, writes no plot or
only redraws nothing never pays for it), and without pyplot: files only, no global state.
Importing it is about 0.4 s of pure Python; `preload` starts that, with the first parse of the
mathtext parser, in a background thread while a run computes, and `new_figure` waits for it.
"""

from __future__ import annotations

import threading
from pathlib import Path

DPI = 150  # of the PNG; the layout is computed at this resolution too (see new_figure)
_preloading: list[threading.Thread] = []  # at most one thread, started by `preload`


def _import_drawing() -> None:
    from matplotlib.backends import backend_agg, backend_pdf  # noqa: F401 (the import is the work)
    from matplotlib.figure import Figure  # noqa: F401
    from matplotlib.layout_engine import TightLayoutEngine  # noqa: F401
    from matplotlib.mathtext import MathTextParser

    # Builds the mathtext grammar and loads the default fonts once (cached by matplotlib); the
    # result is not reused, so the figure's own bytes do not depend on this.
    MathTextParser("agg").parse(r"$\mathdefault{10^{-1}}$")


def preload() -> None:
    """Import the drawing libraries in a background thread, once per process.

    Call it where the main thread is about to wait on work that releases the GIL (sampling
    kernels, Polars): the import then costs the run almost no time."""
    if _preloading:
        return
    thread = threading.Thread(target=_import_drawing, name="dipscan-import-matplotlib", daemon=True)
    _preloading.append(thread)
    thread.start()


def _wait_for_preload() -> None:
    # Drawing shares matplotlib's font objects with the warm-up parse: never run both at once.
    for thread in _preloading:
        thread.join()


def new_figure(width_in: float, height_in: float):
    """An empty figure on its own Agg canvas at the PNG's resolution.

    The layout pass and the PNG then share one renderer, so each text (every tick label is
    mathtext, parsed by pyparsing) is laid out once, not again at another resolution."""
    _wait_for_preload()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def lay_out(fig, rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> None:
    """Fit the axes, their labels, title and legend inside `rect` of the figure, once.

    The tight-layout engine is run, not installed: `Figure.tight_layout` leaves a placeholder
    engine behind, and every savefig then draws the whole figure once more before printing."""
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine(rect=rect).execute(fig)


def save_figure(fig, paths: list[Path], formats: list[str] | None = None) -> None:
    """Write `fig` to every path (PDFs without a creation date, so runs are byte-stable)."""
    for i, path in enumerate(paths):
        fmt = formats[i] if formats else Path(path).suffix.lstrip(".")
        fig.savefig(path, format=fmt, dpi=DPI,
                    metadata={"CreationDate": None} if fmt == "pdf" else None)
