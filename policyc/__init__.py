"""policyc: a declarative policy engine for HR rules.

The library (docs/library.md)::

    import policyc
    policy = policyc.load("policies/cs_levels_2021.policy")
    results = policy.evaluate("examples/cs_levels_2021/records.csv")  # or dicts, a frame

The names below are loaded on first use, so `import policyc.cli.main` (the `policyc`
command) does not pay for the whole library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from policyc.api import (
        Diff,
        DiffError,
        Explanation,
        Policy,
        PolicyError,
        RecordError,
        Results,
        Summary,
        diff,
        load,
    )

__all__ = [
    "Diff",
    "DiffError",
    "Explanation",
    "Policy",
    "PolicyError",
    "RecordError",
    "Results",
    "Summary",
    "__version__",
    "diff",
    "load",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("policyc.api"), name)
    raise AttributeError(f"module 'policyc' has no attribute {name!r}")
