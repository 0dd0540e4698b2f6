"""Model registry: `make_model(kind, **params)` builds a model from a scenario's model table."""

from __future__ import annotations

import inspect

from dipscan.errors import DipscanError
from dipscan.models.base import Channel, Model
from dipscan.models.dark_dipole import DarkDipole
from dipscan.models.neutrino_dipole import NeutrinoDipole

_REGISTRY: dict[str, type] = {
    "dark_dipole": DarkDipole,  # params: delta
    "neutrino_dipole": NeutrinoDipole,  # params: flavour ("e", "mu" or "tau")
}

MODEL_KINDS: tuple[str, ...] = tuple(_REGISTRY)


def make_model(kind: str, **params) -> Model:
    """The model of this kind with these parameters; unknown kinds or parameters raise DipscanError."""
    if kind not in _REGISTRY:
        raise DipscanError(f"unknown model kind {kind!r}; allowed: {', '.join(MODEL_KINDS)}")
    cls = _REGISTRY[kind]
    allowed = [p for p in inspect.signature(cls).parameters]
    unknown = sorted(set(params) - set(allowed))
    missing = sorted(set(allowed) - set(params))
    if unknown or missing:
        raise DipscanError(
            f"model {kind!r} takes parameters {', '.join(allowed)}; "
            + (f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}")
        )
    return cls(**params)


__all__ = ["MODEL_KINDS", "Channel", "DarkDipole", "Model", "NeutrinoDipole", "make_model"]
