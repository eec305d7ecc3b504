"""The knobs of a run (success, concurrency, pacing, time, the request), checked once, as one
frozen value.

The CLI and library users build the same :class:`Options`; every check raises ``ValueError``
with a message that says what to change, which the CLI turns into a usage error.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fetchall._version import __version__
from fetchall.options.headers import CONTROL_CHARACTERS, HEADER_NAME, HeaderFor
from fetchall.statuses import AcceptedStatuses

if TYPE_CHECKING:
    from fetchall.checks import Check
    from fetchall.options.warn_on import WarnOn

DEFAULT_USER_AGENT = f"fetchall/{__version__}"

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str) -> int:
    """Bytes from ``123``, ``10K``, ``5M``, ``1G`` (powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size like 500K, 10M or 1G")
    return int(match[1]) * _SIZE_UNITS[match[2].upper()]


@dataclass(frozen=True, slots=True)
class Options:
    """Everything that shapes how jobs are fetched. Defaults are the CLI's defaults."""

    limit: int = 10
    """At most this many requests in flight at once, across all hosts."""
    per_host: int | None = None
    """At most this many requests in flight to one host (None: no separate bound)."""
    rate: float | None = None
    """At most this many request starts per second, retries and redirect hops included."""
    timeout: float = 30.0
    """Seconds for one attempt, redirects and body included."""
    connect_timeout: float = 10.0
    deadline: float | None = None
    """Seconds for the whole run; what is still running then fails with kind ``deadline``."""
    retries: int = 0
    retry_backoff: float = 0.5
    wait: float | None = None
    """Seconds from the start of the run during which a job that fails (any kind but
    ``invalid_url``) is tried again: waiting for a deployment to come up."""
    max_failures: int | None = None
    """``independent`` mode: stop the run once this many jobs have failed."""
    stagger: float = 0.0
    """``first`` mode: seconds between starting one job and the next (a hedged race)."""
    accept: AcceptedStatuses = field(default_factory=AcceptedStatuses)
    max_redirects: int = 10
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """``-H``: sent on every request of a job, redirect hops included, but ``Authorization``,
    ``Cookie`` and ``Proxy-Authorization``, sent to the job URL's own origin only. Left out of
    the repr, which may end up in a log."""
    header_for: tuple[HeaderFor, ...] = ()
    """``--header-for``: each sent on every request whose URL its pattern matches, and only
    there (in place of a ``-H`` header of the same name)."""
    user_agent: str = DEFAULT_USER_AGENT
    insecure: bool = False
    cacert: Path | None = None
    """Trust the PEM certificates in this file instead of the system's."""
    cert: Path | None = None
    """Send this PEM client certificate (with its key, unless ``key`` is given)."""
    key: Path | None = None
    """The client certificate's PEM key, when it is not in ``cert``."""
    max_size: int | None = None
    """Bodies larger than this many bytes fail with kind ``too_large``."""
    save_dir: Path | None = None
    """Write each successful body under this folder."""
    expect: tuple[Check, ...] = ()
    """Checks every job must pass (``--expect``); a job's own check with the same key and
    operator replaces one of these."""
    workers: int = 1
    """Processes that fetch; more than one spreads the CPU work over cores."""
    # Warnings: a third outcome.
    warn_on: WarnOn | None = None
    """Final failures (after retries and ``wait``) that succeed with a warning instead
    (``--warn-on``); build it with ``WarnOn.parse("timeout,429")``."""
    strict: bool = False
    """No warning tier: ``warn:`` checks are plain checks and ``warn_on`` is ignored."""

    @property
    def may_retry(self) -> bool:
        """Whether a job may be tried more than once (``retries`` or ``wait``)."""
        return self.retries > 0 or self.wait is not None

    def __post_init__(self) -> None:
        _check_types(self)
        _at_least("limit", self.limit, 1)
        _at_least("per_host", self.per_host, 1)
        _positive("rate", self.rate)
        _positive("timeout", self.timeout)
        _positive("connect_timeout", self.connect_timeout)
        _positive("deadline", self.deadline)
        _at_least("retries", self.retries, 0)
        _positive("wait", self.wait)
        _at_least("max_failures", self.max_failures, 1)
        _at_least("max_redirects", self.max_redirects, 0)
        _at_least("max_size", self.max_size, 0)
        _at_least("workers", self.workers, 1)
        if not 0 <= self.retry_backoff < math.inf:
            raise ValueError(f"retry_backoff must be >= 0 seconds, not {self.retry_backoff}")
        if not 0 <= self.stagger < math.inf:
            raise ValueError(f"stagger must be >= 0 seconds, not {self.stagger}")
        if self.key is not None and self.cert is None:
            raise ValueError("key needs cert: a key alone identifies nobody")
        if CONTROL_CHARACTERS.search(self.user_agent):
            raise ValueError(f"user_agent {self.user_agent!r} may not hold control characters")
        if not all(isinstance(header, HeaderFor) for header in self.header_for):
            raise ValueError("header_for takes HeaderFor values: HeaderFor.parse(pattern, header)")
        if not self.method or not self.method.isalpha():
            raise ValueError(f"{self.method!r} is not an HTTP method like GET or HEAD")
        _check_warn_on(self.warn_on)


def _check_warn_on(warn_on: object) -> None:
    if warn_on is None:
        return
    from fetchall.options.warn_on import WarnOn  # noqa: PLC0415 (start-up: only when asked)

    if not isinstance(warn_on, WarnOn):
        raise ValueError(f"warn_on must be a WarnOn, e.g. WarnOn.parse('timeout'), not {warn_on!r}")


_NUMBER = (int, float)
_PATHS = frozenset({"cacert", "cert", "key", "save_dir"})
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "limit": ((int,), "an int"),
    "per_host": ((int, type(None)), "an int or None"),
    "rate": ((*_NUMBER, type(None)), "a number or None"),
    "timeout": (_NUMBER, "a number of seconds"),
    "connect_timeout": (_NUMBER, "a number of seconds"),
    "deadline": ((*_NUMBER, type(None)), "a number of seconds or None"),
    "retries": ((int,), "an int"),
    "retry_backoff": (_NUMBER, "a number of seconds"),
    "wait": ((*_NUMBER, type(None)), "a number of seconds or None"),
    "max_failures": ((int, type(None)), "an int or None"),
    "stagger": (_NUMBER, "a number of seconds"),
    "accept": ((AcceptedStatuses,), "an AcceptedStatuses (AcceptedStatuses.parse('200-299'))"),
    "max_redirects": ((int,), "an int"),
    "method": ((str,), "a str"),
    "headers": ((tuple,), "a tuple of (name, value) pairs of str"),
    "user_agent": ((str,), "a str"),
    "insecure": ((bool,), "a bool"),
    "cacert": ((Path, type(None)), "a path or None"),
    "cert": ((Path, type(None)), "a path or None"),
    "key": ((Path, type(None)), "a path or None"),
    "max_size": ((int, type(None)), "an int (bytes) or None"),
    "save_dir": ((Path, type(None)), "a path or None"),
    "expect": ((tuple,), "a tuple of checks"),
    "workers": ((int,), "an int"),
    "header_for": ((tuple,), "a tuple of HeaderFor values"),
    # Its own check follows (_check_warn_on): WarnOn is imported only when one is given.
    "warn_on": ((object,), "a WarnOn or None"),
    "strict": ((bool,), "a bool"),
}
"""What each field holds; a bool is no number here (``limit=True`` is a mistake)."""


def _check_types(options: Options) -> None:
    """Raise TypeError naming the first field that holds the wrong type of value.

    A path may be given as a str, ``accept`` as a list like ``"200-299,304"``, and pairs or
    checks as a list: they are stored as the field's own type, so that the options stay one
    frozen, hashable value.
    """
    for each in fields(options):
        value = getattr(options, each.name)
        if each.name in _PATHS and isinstance(value, (str, os.PathLike)):
            value = Path(value)
        elif each.name in ("headers", "expect", "header_for") and isinstance(value, list):
            value = tuple(value)
        elif each.name == "accept" and isinstance(value, str):
            try:
                value = AcceptedStatuses.parse(value)
            except ValueError as exc:
                raise ValueError(f"accept: {exc}") from None
        if (known := _TYPES.get(each.name)) is None:
            continue  # pragma: no cover (a new field not yet in the table: its test says so)
        kinds, what = known
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise TypeError(f"{each.name} must be {what}, not {_shown(value)}")
        object.__setattr__(options, each.name, value)
    for pair in options.headers:
        _check_header(pair)
    if options.expect:
        from fetchall.checks import Check  # noqa: PLC0415 (only for runs with checks)

        for check in options.expect:
            if not isinstance(check, Check):
                raise TypeError(f"expect must be a tuple of checks, not one of {_shown(check)}")


def _check_header(pair: Any) -> None:
    if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        raise TypeError(
            f"headers must be a tuple of (name, value) pairs of str, not {_shown(pair)}"
        )
    name, value = pair
    if not HEADER_NAME.fullmatch(name):
        raise ValueError(f"headers: {name!r} is not a header name")
    if CONTROL_CHARACTERS.search(value):
        raise ValueError(f"headers: the value of {name} may not hold control characters")


def _shown(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _at_least(name: str, value: int | None, low: int) -> None:
    if value is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, not {value}")


def _positive(name: str, value: float | None) -> None:
    # Not "not value > 0" alone: inf and nan would pass one test or the other and break later.
    if value is not None and not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds, not {value}")
