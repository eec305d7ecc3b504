"""Which final statuses count as success: ``--accept`` and the ``status=`` check share this."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AcceptedStatuses:
    """The set of final statuses that count as success, as inclusive ranges."""

    ranges: tuple[tuple[int, int], ...] = ((200, 299),)
    _codes: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Asked once per response: a set answers faster than walking the ranges.
        codes = frozenset(code for low, high in self.ranges for code in range(low, high + 1))
        object.__setattr__(self, "_codes", codes)

    @classmethod
    def parse(cls, spec: str) -> AcceptedStatuses:
        """Parse ``200-299,304``; raise ValueError naming the bad part."""
        ranges: list[tuple[int, int]] = []
        for part in spec.split(","):
            text = part.strip()
            low_text, dash, high_text = text.partition("-")
            if not low_text.isdigit() or (dash and not high_text.isdigit()):
                raise ValueError(f"{text!r} is not a status code or range like 200-299")
            low, high = int(low_text), int(high_text) if dash else int(low_text)
            if not (100 <= low <= 999 and 100 <= high <= 999):
                raise ValueError(f"{text!r}: status codes go from 100 to 999")
            if low > high:
                raise ValueError(f"{text!r} is an empty range; write it low-high")
            ranges.append((low, high))
        return cls(tuple(ranges))

    def __contains__(self, status: object) -> bool:
        return type(status) is int and status in self._codes

    def __str__(self) -> str:
        return ",".join(f"{low}-{high}" if low != high else str(low) for low, high in self.ranges)
