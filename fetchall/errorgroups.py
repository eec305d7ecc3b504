"""Failures grouped by kind (and status), as every format shows them at the end of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fetchall.models import ErrorKind, Result


@dataclass(slots=True)
class ErrorGroup:
    """Failures of one kind (and, for ``http_status``, one status)."""

    kind: ErrorKind
    status: int | None
    count: int = 0
    urls: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The json format's ``errors`` item."""
        return {
            "kind": self.kind.value,
            "status": self.status,
            "count": self.count,
            "urls": self.urls,
        }


class ErrorGroups:
    """Collects failures into groups as results arrive.

    ``keep_urls`` bounds the URLs remembered per group, so that the text report of a
    million-URL run stays small; the json format keeps them all.
    """

    def __init__(self, keep_urls: int | None = None) -> None:
        self._keep = keep_urls
        self._groups: dict[tuple[ErrorKind, int | None], ErrorGroup] = {}

    def add(self, result: Result) -> None:
        """Count ``result`` if it is a failure; successes and cancelled jobs are not errors."""
        if not result.failed or result.error is None:
            return
        kind = result.error.kind
        status = result.status if kind is ErrorKind.HTTP_STATUS else None
        group = self._groups.get((kind, status))
        if group is None:
            group = self._groups[(kind, status)] = ErrorGroup(kind, status)
        group.count += 1
        if self._keep is None or len(group.urls) < self._keep:
            group.urls.append(result.url)

    def groups(self) -> list[ErrorGroup]:
        """The groups, largest first, then by kind and status for a stable order."""
        return sorted(self._groups.values(), key=lambda g: (-g.count, g.kind.value, g.status or 0))
