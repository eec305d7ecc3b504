"""The plain values that flow through fetchall: jobs in, results out.

Everything here is a frozen dataclass or an enum, so results can be shared between the engine,
the formatters and library users without anyone mutating them under another's feet.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fetchall.shown import redact

if TYPE_CHECKING:
    from fetchall.checks import Check, CheckOutcome


class Mode(enum.StrEnum):
    """How one job's failure affects the others."""

    INDEPENDENT = "independent"
    """Every job runs; failures are collected and grouped."""
    ALL = "all"
    """All-or-nothing: the first failure cancels every other job."""
    FIRST = "first"
    """First success wins; every other job is cancelled at once."""


class ErrorKind(enum.StrEnum):
    """Why a job did not succeed: the ``kind`` users and scripts match on."""

    HTTP_STATUS = "http_status"
    TIMEOUT = "timeout"
    CONNECT = "connect"
    DNS = "dns"
    TLS = "tls"
    INVALID_URL = "invalid_url"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    PROTOCOL = "protocol"
    CANCELLED = "cancelled"
    DEADLINE = "deadline"
    WORKER_LOST = "worker_lost"
    """The ``--workers`` process fetching the job died or stopped answering; never retried."""
    EXPECTATION = "expectation"
    """The response arrived and was accepted, but a check on it failed."""
    SAVE = "save"
    """The body arrived but could not be written under ``--save`` (disk full…); never retried."""


@dataclass(frozen=True, slots=True)
class Job:
    """One line of input that is to be fetched."""

    index: int
    """0-based position in the whole input, kept through sharding so reports line up."""
    url: str
    """The URL as given (credentials not yet redacted)."""
    source: str
    """Where the line came from: ``path:line``, ``-:line`` or ``arg``."""
    problem: str | None = None
    """Why the reader already knows this line cannot be fetched (e.g. it is too long)."""
    checks: tuple[Check, ...] = ()
    """The checks written on the line after the URL (``--expect`` defaults come on top)."""

    def __reduce__(self) -> tuple[type[Job], tuple[Any, ...]]:
        # Jobs cross to worker processes by the thousand: a plain tuple of fields pickles
        # several times faster than the field-by-field state of a slotted dataclass.
        return (Job, (self.index, self.url, self.source, self.problem, self.checks))


@dataclass(frozen=True, slots=True)
class FetchError:
    """A failure as a value: a machine-readable ``kind`` and a message for people."""

    kind: ErrorKind
    message: str

    def to_dict(self) -> dict[str, str]:
        """The JSON shape of an error: ``{"kind", "message"}``."""
        return {"kind": self.kind.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class JobWarning:
    """Why a job that succeeded still deserves a look: a failed ``warn:`` check, or a failure
    of a kind ``--warn-on`` names, turned into a warning."""

    kind: ErrorKind
    """``expectation`` or ``http_status`` for a ``warn:`` check; the failure's kind otherwise."""
    check: str | None
    """The ``warn:`` check as written, or None for a ``--warn-on`` kind."""
    message: str

    def to_dict(self) -> dict[str, str | None]:
        """The JSON shape of a warning: ``{"kind", "check", "message"}``."""
        return {"kind": self.kind.value, "check": self.check, "message": self.message}

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> JobWarning:
        """Read back from :meth:`to_dict` (``--merge``)."""
        check = item.get("check")
        return cls(
            ErrorKind(item["kind"]), None if check is None else str(check), str(item["message"])
        )


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one job. ``ok`` is true exactly when ``error`` is None."""

    url: str
    """The URL as given, with any user name and password shown as ``***``."""
    index: int
    source: str
    ok: bool
    status: int | None
    """The final HTTP status, or None when no response arrived."""
    final_url: str | None
    """The URL after redirects (redacted), or None when no response arrived."""
    bytes: int
    """Body bytes received (for ``too_large``, the bytes read before the download stopped)."""
    elapsed_ms: int
    attempts: int
    """Requests made for this job by fetchall, retries included (redirect hops are not)."""
    content_type: str | None
    saved_to: str | None
    error: FetchError | None
    checks: tuple[CheckOutcome, ...] | None = None
    """How each check went, defaults first, or None for a job without checks."""
    warnings: tuple[JobWarning, ...] | None = None
    """For a job that succeeded with warnings, each one; None for every other job."""

    def __reduce__(self) -> tuple[type[Result], tuple[Any, ...]]:
        # Results come back from worker processes by the thousand (see Job.__reduce__).
        return (
            Result,
            (
                self.url, self.index, self.source, self.ok, self.status, self.final_url,
                self.bytes, self.elapsed_ms, self.attempts, self.content_type, self.saved_to,
                self.error, self.checks, self.warnings,
            ),
        )  # fmt: skip

    @property
    def cancelled(self) -> bool:
        """True for jobs stopped because of another job or a signal, which are not failures."""
        return self.error is not None and self.error.kind is ErrorKind.CANCELLED

    @property
    def failed(self) -> bool:
        """True for real failures: not ok and not merely cancelled."""
        return not self.ok and not self.cancelled

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of a result, with the fields in the documented order."""
        return {
            "url": self.url,
            "index": self.index,
            "source": self.source,
            "ok": self.ok,
            "status": self.status,
            "final_url": self.final_url,
            "bytes": self.bytes,
            "elapsed_ms": self.elapsed_ms,
            "attempts": self.attempts,
            "content_type": self.content_type,
            "saved_to": self.saved_to,
            "error": None if self.error is None else self.error.to_dict(),
            "checks": None if self.checks is None else [c.to_dict() for c in self.checks],
            "warnings": None if self.warnings is None else [w.to_dict() for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a result from its JSON object (used to merge shard reports)."""
        from fetchall.checks import CheckOutcome  # noqa: PLC0415 (only reports with checks)

        error, checks, warnings = data.get("error"), data.get("checks"), data.get("warnings")
        return cls(
            url=str(data["url"]),
            index=int(data["index"]),
            source=str(data["source"]),
            ok=bool(data["ok"]),
            status=None if data.get("status") is None else int(data["status"]),
            final_url=data.get("final_url"),
            bytes=int(data.get("bytes", 0)),
            elapsed_ms=int(data.get("elapsed_ms", 0)),
            attempts=int(data.get("attempts", 0)),
            content_type=data.get("content_type"),
            saved_to=data.get("saved_to"),
            error=None
            if error is None
            else FetchError(ErrorKind(error["kind"]), str(error["message"])),
            checks=None if checks is None else tuple(map(CheckOutcome.from_dict, checks)),
            warnings=None if warnings is None else tuple(map(JobWarning.from_dict, warnings)),
        )


@dataclass(frozen=True, slots=True)
class Response:
    """What a job saw of its final response, when one arrived."""

    status: int
    final_url: str
    """The URL after redirects, already redacted."""
    content_type: str | None
    bytes: int
    saved_to: str | None = None


def result_for(
    job: Job,
    *,
    response: Response | None = None,
    error: FetchError | None = None,
    attempts: int = 0,
    elapsed_ms: int = 0,
    checks: tuple[CheckOutcome, ...] | None = None,
    warnings: tuple[JobWarning, ...] | None = None,
) -> Result:
    """The one way a :class:`Result` is built: ``ok`` exactly when there is no ``error``.

    A failure may still carry the response it saw (an ``http_status`` or ``too_large``);
    a saved body is only ever reported for a success. ``warnings`` go with a success only.
    """
    if checks is None and job.checks:
        checks = _not_judged(job.checks)
    if response is None:
        return Result(
            url=redact(job.url),
            index=job.index,
            source=job.source,
            ok=error is None,
            status=None,
            final_url=None,
            bytes=0,
            elapsed_ms=elapsed_ms,
            attempts=attempts,
            content_type=None,
            saved_to=None,
            error=error,
            checks=checks,
            warnings=warnings,
        )
    # The same fields, positional: this runs once per request, and keywords cost 0.37 µs more.
    return Result(
        redact(job.url), job.index, job.source, error is None, response.status,
        response.final_url, response.bytes, elapsed_ms, attempts, response.content_type,
        response.saved_to if error is None else None, error, checks, warnings,
    )  # fmt: skip


def _not_judged(checks: tuple[Check, ...]) -> tuple[CheckOutcome, ...]:
    """The outcomes of checks that no response came to judge: each one listed, not passed."""
    from fetchall.checks import CheckOutcome  # noqa: PLC0415 (only jobs with checks)

    return tuple(
        CheckOutcome(check.text, False, "not judged: no response", check.key, check.warn)
        for check in checks
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts for a whole run. ``cancelled`` jobs are neither ok nor failed."""

    mode: Mode
    ok: int
    failed: int
    cancelled: int
    elapsed_s: float
    warnings: int = 0
    """Of the ``ok`` jobs, those that succeeded with a warning."""

    @property
    def total(self) -> int:
        """Every job reported."""
        return self.ok + self.failed + self.cancelled

    @property
    def succeeded(self) -> bool:
        """The mode's rule for exit status 0, for a run and for merged shard reports alike:
        ``first`` needs one success; ``independent`` and ``all`` need no failure and no
        cancelled job (a shard that kept no job of its input has nothing that failed)."""
        if self.mode is Mode.FIRST:
            return self.ok > 0
        return self.failed == 0 and self.cancelled == 0

    def to_dict(self) -> dict[str, Any]:
        """The ``summary`` object of the json format."""
        return {
            "ok": self.ok,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "total": self.total,
            "elapsed_s": round(self.elapsed_s, 3),
            "warnings": self.warnings,
        }
