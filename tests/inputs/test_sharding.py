"""``--shard K/N``: parsing, and a split of the URLs that is stable everywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from fetchall.inputs.sharding import Shard, in_shard, kept_jobs
from fetchall.models import Job


class TestShard:
    """``Shard`` parses ``K/N`` and splits URLs by a stable hash."""

    def test_parse_valid(self) -> None:
        """``2/4`` is shard 2 of 4."""
        assert Shard.parse("2/4") == Shard(2, 4)

    def test_parse_single_shard(self) -> None:
        """``1/1`` is the one shard that keeps everything."""
        assert Shard.parse("1/1") == Shard(1, 1)
        assert Shard(1, 1).keeps("http://anything/")

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("0/3", "shard 0/3: need 1 <= K <= N"),
            ("4/3", "shard 4/3: need 1 <= K <= N"),
            ("a/b", "'a/b' is not K/N, e.g. 2/4"),
            ("3", "'3' is not K/N, e.g. 2/4"),
            ("", "'' is not K/N, e.g. 2/4"),
            ("-1/3", "'-1/3' is not K/N, e.g. 2/4"),
            ("1/0", "shard 1/0: need 1 <= K <= N"),
        ],
    )
    def test_parse_invalid(self, spec: str, message: str) -> None:
        """A malformed or out-of-range spec raises ValueError saying what is wrong."""
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            Shard.parse(spec)

    @pytest.mark.parametrize("n", [1, 2, 3, 7])
    def test_shards_are_disjoint_and_cover_all(self, n: int) -> None:
        """Each of 1,000 URLs is kept by exactly one of the N shards."""
        urls = [f"https://host{i % 13}.example/path/{i}?q={i * 7}" for i in range(1000)]
        owners = [[k for k in range(1, n + 1) if Shard(k, n).keeps(url)] for url in urls]
        assert all(len(owner) == 1 for owner in owners)
        if n > 1:
            sizes = [sum(owner == [k] for owner in owners) for k in range(1, n + 1)]
            assert min(sizes) > 1000 / n / 2  # no shard is starved

    # Computed once and hard-coded: if this changes, shard reports of different versions
    # no longer line up.
    _URLS = (
        "https://example.com/",
        "https://example.com/a",
        "http://[::1]:8080/x",
        "https://bücher.example/",
        "http://u:p@h/?q=1",
    )
    _OWNERS_OF_3 = (3, 2, 2, 1, 3)
    _OWNERS_OF_4 = (4, 1, 1, 4, 2)

    def test_stable_assignment(self) -> None:
        """Fixed URLs fall in the same shards as when this test was written."""
        assert tuple(self._owner(url, 3) for url in self._URLS) == self._OWNERS_OF_3
        assert tuple(self._owner(url, 4) for url in self._URLS) == self._OWNERS_OF_4

    @pytest.mark.parametrize("seed", ["1", "2"])
    def test_stable_across_hash_seeds(self, seed: str) -> None:
        """Another interpreter with a different PYTHONHASHSEED assigns the same shards."""
        code = (
            "import sys\n"
            "from fetchall.inputs.sharding import Shard\n"
            f"urls = {list(self._URLS)!r}\n"
            "print([next(k for k in range(1, 4) if Shard(k, 3).keeps(u)) for u in urls])\n"
        )
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == str(list(self._OWNERS_OF_3))

    @pytest.mark.parametrize(
        ("url", "owner"),
        [
            ("https://example.com/", 52),
            ("http://[::1]:8080/x", 281),
            ("https://bücher.example/", 180),
            ("http://x/\udcff", 920),
        ],
    )
    def test_pinned_hashes(self, url: str, owner: int) -> None:
        """Of 1,000 shards, these URLs fall in the ones the 64-bit blake2b of their UTF-8 text
        names; a line that is not UTF-8 is hashed too, by its escaped bytes."""
        assert self._owner(url, 1000) == owner

    @staticmethod
    def _owner(url: str, n: int) -> int:
        return next(k for k in range(1, n + 1) if Shard(k, n).keeps(url))


_JOBS = [Job(i, f"http://h/{i}", "arg") for i in range(30)]


class TestNoShard:
    """Without ``--shard`` every URL is fetched; with one, the shard's share."""

    def test_in_shard(self) -> None:
        """No shard keeps every URL; a shard keeps what ``Shard.keeps`` says."""
        shard = Shard(2, 3)
        urls = [job.url for job in _JOBS]
        assert all(in_shard(None, url) for url in urls)
        assert [in_shard(shard, url) for url in urls] == [shard.keeps(url) for url in urls]

    def test_kept_jobs(self) -> None:
        """No shard hands the batch on as it is; a shard keeps its jobs, in order."""
        shard = Shard(1, 3)
        assert kept_jobs(None, _JOBS) is _JOBS
        kept = kept_jobs(shard, _JOBS)
        assert kept == [job for job in _JOBS if shard.keeps(job.url)]
        assert 0 < len(kept) < len(_JOBS)
