"""Model registry: `make_model(kind, **params)` builds a model from a scenario's model table.

Every module of this folder is imported here, so that a new model is one file that registers
its class (dipscan.physics.models.registry); see docs/extending.md.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from dipscan.errors import DipscanError
from dipscan.physics.models.base import Channel, Model, Param
from dipscan.physics.models.registry import REGISTRY

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from dipscan.physics.models.dark_dipole import DarkDipole  # noqa: E402
from dipscan.physics.models.neutrino_dipole import NeutrinoDipole  # noqa: E402

MODEL_KINDS: tuple[str, ...] = tuple(REGISTRY)


def model_class(kind: str) -> type:
    """The registered class of this kind; DipscanError names the kinds if it is unknown."""
    if kind not in REGISTRY:
        raise DipscanError(f"unknown model kind {kind!r}; allowed: {', '.join(MODEL_KINDS)}")
    return REGISTRY[kind]


def make_model(kind: str, **params) -> Model:
    """The model of this kind with these parameters; unknown kinds or parameters raise DipscanError."""
    cls = model_class(kind)
    allowed = [p for p in inspect.signature(cls).parameters]
    unknown = sorted(set(params) - set(allowed))
    missing = sorted(set(allowed) - set(params))
    if unknown or missing:
        raise DipscanError(
            f"model {kind!r} takes parameters {', '.join(allowed)}; "
            + (f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}")
        )
    return cls(**params)


__all__ = ["MODEL_KINDS", "Channel", "DarkDipole", "Model", "NeutrinoDipole", "Param", "make_model",
           "model_class"]
