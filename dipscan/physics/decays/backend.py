"""Which path decays the parent mesons: the compiled kernels (default) or the numpy reference.

Both consume the same random numbers and agree sample by sample to rounding; the choice is part
of every sample-cache key because the last bits may differ.
"""

from __future__ import annotations

import os
import threading

from dipscan.errors import DipscanError

KERNELS_ENV = "DIPSCAN_KERNELS"
KERNEL_CHOICES = ("compiled", "numpy")
_preloading: list[threading.Thread] = []  # at most one thread, started by `preload_kernels`


def kernel_choice() -> str:
    """"compiled" unless the environment variable DIPSCAN_KERNELS says "numpy"."""
    choice = os.environ.get(KERNELS_ENV, "compiled")
    if choice not in KERNEL_CHOICES:
        raise DipscanError(f"environment variable {KERNELS_ENV}: found {choice!r}; "
                           f"allowed: {', '.join(KERNEL_CHOICES)}")
    return choice


def _load_first_kernel() -> None:
    import numpy as np

    try:
        from dipscan.physics.decays import kernels  # imports numba

        # The first call of any compiled function sets up numba's compiler context (its typing
        # and lowering registries); loading this small kernel's machine code from the cache does
        # it with the argument types of the run's first call. Nothing of the result is kept.
        kernels.contributing_parents(np.zeros(1), np.zeros(1), 1.0, 1.0, 1.0, 0.0, np.inf)
    except Exception:  # the run meets the same fault where it needs numba, and reports it there
        pass


def preload_kernels() -> None:
    """Import numba and set it up in a background thread, once per process, on the compiled path
    only (the numpy reference never loads numba).

    Call it as soon as a run knows it will draw or weigh samples: numba's import and first call
    (about half a second of Python) then overlap the run's table reading, which mostly releases
    the GIL. A thread that needs a kernel meanwhile waits at its import (Python's module lock)
    until the import is complete; numba's compiler lock orders the loads; and no kernel's
    numbers depend on which thread loaded it.
    """
    if _preloading or kernel_choice() != "compiled":
        return
    thread = threading.Thread(target=_load_first_kernel, name="dipscan-import-numba", daemon=True)
    _preloading.append(thread)
    thread.start()
