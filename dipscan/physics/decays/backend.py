"""Which path decays the parent mesons: the compiled kernels (default) or the numpy reference.

Both consume the same random numbers and agree sample by sample to rounding; the choice is part
of every sample-cache key because the last bits may differ.
"""

from __future__ import annotations

import os

from dipscan.errors import DipscanError

KERNELS_ENV = "DIPSCAN_KERNELS"
KERNEL_CHOICES = ("compiled", "numpy")


def kernel_choice() -> str:
    """"compiled" unless the environment variable DIPSCAN_KERNELS says "numpy"."""
    choice = os.environ.get(KERNELS_ENV, "compiled")
    if choice not in KERNEL_CHOICES:
        raise DipscanError(f"environment variable {KERNELS_ENV}: found {choice!r}; "
                           f"allowed: {', '.join(KERNEL_CHOICES)}")
    return choice
