"""Is a string a matplotlib colour? Answered without importing matplotlib for the usual cases.

Every experiment preset names a colour, so every run checks one while reading its scenario;
importing matplotlib for that costs a run that draws no figure (or redraws nothing) a large part
of its start-up. Names, hex codes and 'C0'-style cycle references are recognised here, from
matplotlib's own colour tables read as plain data; anything else is left to matplotlib itself, so
the answer is always matplotlib's.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_CYCLE = re.compile(r"C[0-9]+")


@functools.cache
def named_colours() -> frozenset[str]:
    """matplotlib's colour names ('red', 'tab:blue', 'xkcd:sky blue', ...), read from its data
    module (plain dictionaries) without running matplotlib's package start-up; empty if that
    module cannot be found, in which case matplotlib answers every question."""
    try:
        package = importlib.util.find_spec("matplotlib")
        folder = Path(next(iter(package.submodule_search_locations)))
        spec = importlib.util.spec_from_file_location("_dipscan_colour_names", folder / "_color_data.py")
        data = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(data)
        return frozenset().union(data.BASE_COLORS, data.TABLEAU_COLORS, data.CSS4_COLORS,
                                 data.XKCD_COLORS)
    except (ImportError, AttributeError, OSError, StopIteration, TypeError):
        return frozenset()


def is_color_like(value: object) -> bool:
    """matplotlib.colors.is_color_like(value), importing matplotlib only for unusual values."""
    if isinstance(value, str) and (value in named_colours() or _HEX.fullmatch(value)
                                   or _CYCLE.fullmatch(value)):
        return True
    from matplotlib.colors import is_color_like as matplotlib_is_color_like

    return matplotlib_is_color_like(value)
