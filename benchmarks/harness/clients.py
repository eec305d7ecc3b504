"""URL lists, and the command line each client under test runs on one of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .servers import Server

BARE_POOL_SCRIPT = Path(__file__).with_name("bare_pool.py")


@dataclass
class Workload:
    """One URL list, and the files derived from it for the clients that need them."""

    name: str
    path: str  # "/small", "/delay" or "/big"
    count: int
    list_file: Path
    server: Server
    workdir: Path
    _derived: dict[str, Path] = field(default_factory=dict)

    def derived(self, key: str, build: Callable[[Path], None]) -> Path:
        if key not in self._derived:
            target = self.workdir / f"{self.list_file.stem}.{key}"
            build(target)
            self._derived[key] = target
        return self._derived[key]

    def urls(self) -> Iterator[str]:
        with self.list_file.open(encoding="ascii") as fh:
            for line in fh:
                yield line.rstrip("\n")

    def remove_files(self) -> None:
        self.list_file.unlink(missing_ok=True)
        for derived in self._derived.values():
            derived.unlink(missing_ok=True)


@dataclass
class Invocation:
    argv: list[str]
    stdout: Path | None = None  # None: /dev/null
    stdin: Path | None = None
    cleanup: Callable[[], None] | None = None
    check: Callable[[], str | None] | None = None  # returns a problem, or None when fine


@dataclass
class Client:
    name: str
    build: Callable[[Workload, int, Path], Invocation]
    note: str = ""
    must_pass: bool = False
    """A failed run makes the exit status 1: fetchall's rows, and the bare pool's."""
    is_reference: bool = False
    """The bare aiohttp pool, which the CPU-per-request ratios compare with."""


def write_list(path: Path, url: str, count: int) -> None:
    with path.open("w", encoding="ascii", buffering=1 << 20) as fh:
        for start in range(0, count, 10_000):
            stop = min(count, start + 10_000)
            fh.write("".join(f"{url}?i={i}\n" for i in range(start, stop)))


def count_lines(path: Path) -> int:
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            total += chunk.count(b"\n")
    return total


def fetchall_client(base: list[str], name: str, fmt: str, extra: Sequence[str] = ()) -> Client:
    def build(work: Workload, limit: int, rundir: Path) -> Invocation:
        argv = [*base, str(work.list_file), "--limit", str(limit), *extra]
        if fmt == "jsonl":
            out = rundir / "out.jsonl"
            argv += ["--format", "jsonl", "-q"]

            def check() -> str | None:
                lines = count_lines(out)
                return None if lines == work.count else f"{lines} jsonl lines for {work.count} URLs"

            return Invocation(argv, stdout=out, check=check, cleanup=lambda: out.unlink(True))
        return Invocation(argv)

    return Client(name, build, must_pass=True)


def bare_pool_client(python: str) -> Client:
    """`bare_pool.py`, run by the Python that runs fetchall; it prints its count of 200s."""

    def build(work: Workload, limit: int, rundir: Path) -> Invocation:
        out = rundir / "bare-pool.out"

        def check() -> str | None:
            text = out.read_text(encoding="ascii", errors="replace").strip()
            if text == str(work.count):
                return None
            return f"{text or 'no count of'} OK responses for {work.count} URLs"

        argv = [python, str(BARE_POOL_SCRIPT), str(work.list_file), str(limit)]
        return Invocation(argv, stdout=out, check=check)

    return Client("bare aiohttp pool", build, note="reference", must_pass=True, is_reference=True)


def curl_parallel_client(curl: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        def make(target: Path) -> None:
            with target.open("w", encoding="ascii", buffering=1 << 20) as fh:
                for url in work.urls():
                    fh.write(f'url = "{url}"\noutput = "/dev/null"\n')

        cfg = work.derived("curlcfg", make)
        return Invocation([curl, "-s", "--parallel", "--parallel-max", str(limit), "-K", str(cfg)])

    return Client("curl --parallel", build)


def xargs_client(curl: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        return Invocation(
            ["xargs", "-P", str(limit), "-n", "1", curl, "-s", "-o", "/dev/null"],
            stdin=work.list_file,
        )

    return Client("xargs -P N curl", build, note="one curl process per URL")


def wget2_client(wget2: str) -> Client:
    def build(work: Workload, limit: int, _rundir: Path) -> Invocation:
        return Invocation(
            [
                wget2,
                "-q",
                "-i",
                str(work.list_file),
                "--max-threads",
                str(limit),
                "-O",
                "/dev/null",
                "--tries",
                "1",
                "--no-robots",
            ]
        )

    return Client("wget2", build)


def aria2c_client(aria2c: str) -> Client:
    def build(work: Workload, limit: int, rundir: Path) -> Invocation:
        def make(target: Path) -> None:
            # aria2c cannot write to /dev/null, and same-named concurrent downloads collide:
            # give every URL its own file, 10,000 to a folder; the folder is deleted after.
            with target.open("w", encoding="ascii", buffering=1 << 20) as fh:
                for i, url in enumerate(work.urls()):
                    fh.write(f"{url}\n  out={i // 10_000}/{i}\n")

        inp = work.derived("aria2", make)
        outdir = rundir / "aria2-out"
        return Invocation(
            [
                aria2c,
                "-i",
                str(inp),
                "-j",
                str(limit),
                "-d",
                str(outdir),
                "--no-conf",
                "--quiet=true",
                "--max-tries=1",
                "--allow-overwrite=true",
                "--auto-file-renaming=false",
                "--file-allocation=none",
                "--deferred-input=true",
                "--summary-interval=0",
                "--download-result=hide",
            ],
            cleanup=lambda: shutil.rmtree(outdir, ignore_errors=True),
        )

    return Client("aria2c", build, note="writes each body to a file in a temp dir")
