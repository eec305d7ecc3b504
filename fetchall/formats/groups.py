"""Failures grouped by kind (and by status, or by the first failed check), as every format
shows them at the end of a run; warnings grouped the same way, by each job's first warning.

A group is named by its key: the kind, for ``http_status`` the status, for ``expectation`` the
first failed check. Every format shows the key through :attr:`ErrorGroup.detail` and
:attr:`ErrorGroup.label`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fetchall.models import ErrorKind, Result


@dataclass(slots=True)
class ErrorGroup:
    """Failures of one kind (and, for ``http_status``, one status; for ``expectation``, one
    first failed check)."""

    kind: ErrorKind
    status: int | None
    count: int = 0
    urls: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list, repr=False, compare=False)
    """The listed failures themselves (their URLs are :attr:`urls`), for reports that show each
    one's source and message; kept only when the groups are made with ``keep_results``."""
    check: str | None = None
    """For ``expectation``: the first failed check of its jobs, as written."""

    @property
    def detail(self) -> str:
        """What sets this group apart within its kind: the status or the check, or empty."""
        if self.status is not None and self.check is not None:  # a warn:status check's group
            return f"{self.status} {self.check}"
        if self.status is not None:
            return str(self.status)
        return self.check or ""

    @property
    def label(self) -> str:
        """The group's name in reports: ``timeout``, ``http_status 404``,
        ``expectation body~Welcome``."""
        return f"{self.kind.value} {self.detail}" if self.detail else self.kind.value

    def to_dict(self) -> dict[str, Any]:
        """The json format's ``errors`` item."""
        return {
            "kind": self.kind.value,
            "status": self.status,
            "check": self.check,
            "count": self.count,
            "urls": self.urls,
        }


class ErrorGroups:
    """Collects failures into groups as results arrive.

    ``keep_urls`` bounds the URLs remembered per group, so that the text report of a
    million-URL run stays small; the json format keeps them all. ``keep_results`` also keeps
    the listed results themselves.
    """

    def __init__(self, keep_urls: int | None = None, *, keep_results: bool = False) -> None:
        self._keep = keep_urls
        self._keep_results = keep_results
        self._groups: dict[tuple[ErrorKind, int | None, str | None], ErrorGroup] = {}

    def add(self, result: Result) -> None:
        """Count ``result`` if it is a failure; successes and cancelled jobs are not errors."""
        if not result.failed or result.error is None:
            return
        # The key of a group: a finer grouping adds its part here and a field to ErrorGroup.
        kind = result.error.kind
        status = result.status if kind is ErrorKind.HTTP_STATUS else None
        check = first_failed_check(result) if kind is ErrorKind.EXPECTATION else None
        self._count(result, kind, status, check)

    def _count(
        self, result: Result, kind: ErrorKind, status: int | None, check: str | None
    ) -> None:
        key = (kind, status, check)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = ErrorGroup(kind, status, check=check)
        group.count += 1
        if self._keep is None or len(group.urls) < self._keep:
            group.urls.append(result.url)
            if self._keep_results:
                group.results.append(result)

    def groups(self) -> list[ErrorGroup]:
        """The groups, largest first, then by kind, status and check for a stable order."""
        return sorted(
            self._groups.values(),
            key=lambda g: (-g.count, g.kind.value, g.status or 0, g.check or ""),
        )


class WarningGroups(ErrorGroups):
    """Collects the jobs that succeeded with a warning into groups, by their first warning:
    its kind, for ``http_status`` the status, and its ``warn:`` check (None for a
    ``--warn-on`` kind)."""

    def add(self, result: Result) -> None:
        """Count ``result`` if it has a warning."""
        if result.warnings is None:
            return
        first = result.warnings[0]
        status = result.status if first.kind is ErrorKind.HTTP_STATUS else None
        self._count(result, first.kind, status, first.check)


def first_failed_check(result: Result) -> str | None:
    """The text of the first check of ``result`` that did not pass (what ``expectation``
    groups are split by), or None."""
    failed = [outcome for outcome in result.checks or () if not outcome.ok]
    # A failed warn: check is not what failed the job, unless --strict made it plain.
    failing = next((outcome for outcome in failed if not outcome.warn), None)
    failing = failing or next(iter(failed), None)
    return None if failing is None else failing.check
