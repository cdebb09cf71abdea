"""Comparing two versions of a policy: rules (rules.py), outcomes (records.py), render.py.

`policyc.diff(old, new, records)` is the library's entry point (policyc.api.diff), and
`policyc.diff` is also this package: once any of its modules is imported the name is the
package, so the package itself can be called and hands the call to the library.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from policyc.api import diff

        return diff(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
