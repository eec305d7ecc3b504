"""fetchall: fetch many URLs concurrently, with structured failure modes.

The public API is what ``__all__`` lists. Names are imported on first use, so that
``fetchall --version`` and ``--help`` start without loading aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fetchall._version import __version__

if TYPE_CHECKING:
    from fetchall.api import Report, fetch_all, stream
    from fetchall.engine.run import Run
    from fetchall.engine.stopping import Stopper, StopReason
    from fetchall.formats.groups import ErrorGroup
    from fetchall.inputs.sharding import Shard
    from fetchall.models import ErrorKind, FetchError, Job, JobWarning, Mode, Result, Summary
    from fetchall.options import Options
    from fetchall.options.headers import HeaderFor
    from fetchall.options.warn_on import WarnOn
    from fetchall.statuses import AcceptedStatuses

_EXPORTS = {
    "AcceptedStatuses": "fetchall.statuses",
    "ErrorGroup": "fetchall.formats.groups",
    "ErrorKind": "fetchall.models",
    "FetchError": "fetchall.models",
    "HeaderFor": "fetchall.options.headers",
    "Job": "fetchall.models",
    "Mode": "fetchall.models",
    "Options": "fetchall.options",
    "Report": "fetchall.api",
    "Result": "fetchall.models",
    "Run": "fetchall.engine.run",
    "Shard": "fetchall.inputs.sharding",
    "StopReason": "fetchall.engine.stopping",
    "Stopper": "fetchall.engine.stopping",
    "Summary": "fetchall.models",
    "fetch_all": "fetchall.api",
    "stream": "fetchall.api",
    # Warnings: a third outcome.
    "JobWarning": "fetchall.models",
    "WarnOn": "fetchall.options.warn_on",
}

__all__ = [
    "AcceptedStatuses",
    "ErrorGroup",
    "ErrorKind",
    "FetchError",
    "HeaderFor",
    "Job",
    "JobWarning",
    "Mode",
    "Options",
    "Report",
    "Result",
    "Run",
    "Shard",
    "StopReason",
    "Stopper",
    "Summary",
    "WarnOn",
    "__version__",
    "fetch_all",
    "stream",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fetchall' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
