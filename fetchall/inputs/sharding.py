"""``--shard K/N``: which of the input's URLs one of N machines fetches.

A URL belongs to one shard, by a stable hash of its text, so that N runs over the same input
fetch each URL once between them and their reports merge. The hash must give the same answer
on every machine and Python version: it is blake2b, never ``hash()``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from fetchall.models import Job


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``k`` of ``n`` (1-based): keep the URLs whose stable hash falls in it."""

    k: int
    n: int

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n:
            raise ValueError(f"shard {self.k}/{self.n}: need 1 <= K <= N")

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """Parse ``K/N``; raise ValueError saying what is wrong."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec, re.ASCII)
        if not match:
            raise ValueError(f"{spec!r} is not K/N, e.g. 2/4")
        return cls(int(match[1]), int(match[2]))

    def keeps(self, url: str) -> bool:
        """Whether this shard owns ``url``; the same answer on every machine and Python."""
        digest = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.n == self.k - 1


def in_shard(shard: Shard | None, url: str) -> bool:
    """Whether a run with ``shard`` (None: no ``--shard``, every URL) fetches ``url``."""
    return shard is None or shard.keeps(url)


def kept_jobs(shard: Shard | None, jobs: list[Job]) -> list[Job]:
    """The ``jobs`` a run with ``shard`` fetches, in order (``jobs`` itself without a shard)."""
    return jobs if shard is None else [job for job in jobs if shard.keeps(job.url)]
