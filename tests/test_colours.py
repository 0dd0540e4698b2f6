"""Colour checks agree with matplotlib's and need no matplotlib import for the usual values."""

import pytest
from matplotlib.colors import is_color_like as matplotlib_is_color_like

from dipscan.config.colours import is_color_like, named_colours

VALUES = ["tab:blue", "darkred", "red", "r", "k", "xkcd:sky blue", "C0", "C12", "#1f77b4",
          "#1f77b480", "#abc", "#abcd", "none", "0.5", "Red", "DarkRed", "grey", "tab:grey",
          "xkcd:greyish", "xkcd:grayish", "#12345", "#ggg", "C", "c1", "tab:nothing", "blu", "",
          "1.5", (1, 0, 0), (1, 0, 0, 0.5), "rebeccapurple", "tab:olive"]


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_the_answer_is_matplotlibs(value):
    assert is_color_like(value) == matplotlib_is_color_like(value)


def test_every_name_read_from_matplotlibs_tables_is_a_colour_for_matplotlib():
    names = named_colours()
    assert {"tab:blue", "darkred", "xkcd:sky blue", "b"} <= names and len(names) > 1000
    assert all(matplotlib_is_color_like(name) for name in names)
