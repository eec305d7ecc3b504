"""``--warn-on``: the final failures that turn into warnings, so a flaky host or a busy server
does not fail a smoke check.

A :class:`WarnOn` is parsed once from ``timeout,429,500-599,expectation`` and asked once per
final failure (never for a success): a kind names every failure of that kind; a status or
range stands for an ``http_status`` failure with that status.
"""

from __future__ import annotations

from dataclasses import dataclass

from fetchall.models import ErrorKind, FetchError
from fetchall.statuses import AcceptedStatuses

NEVER_WARNED = frozenset({ErrorKind.INVALID_URL, ErrorKind.CANCELLED, ErrorKind.DEADLINE})
"""Kinds that are not a server's answer, so no warning can stand for them: a line that is no
URL is the list's fault, and a cancelled or timed-out run says nothing of the host."""


def warnable_kinds() -> list[str]:
    """The kinds ``--warn-on`` takes, in the order of :class:`ErrorKind`."""
    return [kind.value for kind in ErrorKind if kind not in NEVER_WARNED]


@dataclass(frozen=True, slots=True)
class WarnOn:
    """The final failures to report as warnings: whole kinds, and ``http_status`` statuses."""

    kinds: frozenset[ErrorKind] = frozenset()
    statuses: AcceptedStatuses | None = None
    """The statuses whose ``http_status`` failure warns; None when no status was named."""

    def __post_init__(self) -> None:
        if refused := sorted(self.kinds & NEVER_WARNED):
            raise ValueError(f"{', '.join(refused)} cannot be warned on; {_TAKES}")

    @classmethod
    def parse(cls, spec: str) -> WarnOn:
        """``timeout,429,500-599``; ValueError naming the part that is no kind or status."""
        kinds: set[ErrorKind] = set()
        ranges: list[str] = []
        for part in spec.split(","):
            word = part.strip()
            if word[:1].isdigit():
                ranges.append(word)
                continue
            try:
                kinds.add(ErrorKind(word))
            except ValueError:
                raise ValueError(f"{word!r} is not an error kind or status; {_TAKES}") from None
        statuses = AcceptedStatuses.parse(",".join(ranges)) if ranges else None
        return cls(frozenset(kinds), statuses)

    def covers(self, error: FetchError, status: int | None) -> bool:
        """Whether a final failure ``error`` (with the response's ``status``) warns."""
        if error.kind in self.kinds:
            return True
        return (
            error.kind is ErrorKind.HTTP_STATUS
            and self.statuses is not None
            and status in self.statuses
        )


_TAKES = f"warnings take {', '.join(warnable_kinds())} or statuses like 429,500-599"
