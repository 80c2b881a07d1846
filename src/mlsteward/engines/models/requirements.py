"""Pinned requirements of a saved model, read from what is installed where it was saved."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import metadata

from mlsteward._version import __version__


@functools.lru_cache(maxsize=1)
def _distributions_by_module() -> dict[str, list[str]]:
    return {k: list(v) for k, v in metadata.packages_distributions().items()}


def pinned_requirements(modules: Iterable[str], installed: Mapping[str, str]) -> list[str]:
    """``name==version`` for each distribution that provides one of ``modules``.

    ``installed`` maps distribution names to versions (the run's environment capture);
    modules no installed distribution provides (a script's own module) are left out.
    ``mlsteward`` itself is always pinned: it reads the manifest back.
    """
    lowered = {name.lower(): (name, version) for name, version in installed.items()}
    by_module = _distributions_by_module()
    pins: dict[str, str] = {}
    for module in ["mlsteward", *modules]:
        for dist in by_module.get(module, []):
            found = lowered.get(dist.lower())
            if found:
                pins[found[0].lower()] = f"{found[0]}=={found[1]}"
    pins.setdefault("mlsteward", f"mlsteward=={__version__}")  # editable installs hide it
    return [pins[key] for key in sorted(pins)]
