"""The model registry: a model module registers its class, and the rest of dipscan reads from here.

A registered class declares, beside the Model protocol:
- KIND: the `kind` of the scenario's [model] table;
- PARAMS: its parameters (dipscan.physics.models.base.Param), which the scenario reader checks and
  `dipscan physics` offers as options;
- MASS_LABEL: the axis label of the scan mass (LaTeX), DESCRIPTION: the operator in words (HEPData);
- plot_title(params): the figure title.
"""

from __future__ import annotations

REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make the model available under cls.KIND."""
    for attribute in ("KIND", "PARAMS", "MASS_LABEL", "DESCRIPTION", "plot_title"):
        if not hasattr(cls, attribute):
            raise TypeError(f"model {cls.__name__} does not declare {attribute}")
    if cls.KIND in REGISTRY and REGISTRY[cls.KIND] is not cls:
        raise TypeError(f"model kind {cls.KIND!r} is registered twice")
    REGISTRY[cls.KIND] = cls
    return cls


def markdown_keys() -> str:
    """The key table of the [model] section of scenarios/README.md (a test keeps them equal)."""
    kinds = ", ".join(f'`"{kind}"`' for kind in REGISTRY)
    rows = ["| key | meaning | type, unit | default | allowed |", "|---|---|---|---|---|",
            f"| `kind` | the operator | string | required | a registered model: {kinds} |"]
    for kind, cls in REGISTRY.items():
        for p in cls.PARAMS:
            allowed = ", ".join(f'`"{c}"`' for c in p.choices) if p.choices else (
                f"`> {p.gt:g}`" if p.gt is not None else "a finite number")
            rows.append(f"| `{p.name}` | `{kind}` only: {p.doc} | {'string' if p.choices else 'number'} "
                        f"| required | {allowed} |")
    return "\n".join(rows)
