"""``--workers N``: spread the fetching over N processes, with every promise kept.

One aiohttp process tops out at one core. With workers, this process (the coordinator) keeps
everything that decides *what* happens: it reads the input, runs the mode's policy, holds the
``--limit`` and ``--per-host`` slots, claims ``--save`` paths and reports results; it also
fetches a share of the jobs itself, and N-1 worker processes fetch the rest. So results, their
order and the exit status are those of a one-process run:

* ``--limit``: the coordinator admits at most ``limit`` jobs (the same rule as one process),
  and each fetcher's own request bound (its own and each worker's) is its share of ``limit``,
  the shares adding up to it, so that retries waiting out a backoff still hold no request slot.
* ``--per-host``: the coordinator holds a host slot for each job it dispatches.
* ``--rate``: the fetchers take turns on one grid of start times on the system-wide monotonic
  clock (:class:`fetchall.transport.limits.Pacer`), so the bound holds across processes with no
  message.
* Cancellation (``all``, ``first``, ``--max-failures``, a deadline, a signal): the coordinator's
  task for the job is cancelled like any other, and on its way out it tells the worker, which
  cancels its fetch and so closes the connection at once.

Messages are the small named tuples below. The coordinator sends a worker one :class:`Setup`
first, then :class:`Start` and :class:`Cancel`; the worker answers each started job with one
:class:`Done`. The messages of one turn of the event loop travel together, as one pickled list
with a 4-byte length over the worker's stdin or stdout: one write and one read per turn, not
per URL. A worker ends when its stdin closes, cancelling whatever it still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import pickle
import signal
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import NamedTuple, Self

from fetchall import process
from fetchall.models import Job, Result
from fetchall.options import Options
from fetchall.process import collect_less_often
from fetchall.saving import BodyStore
from fetchall.transport.fetcher import Fetcher
from fetchall.transport.limits import HostSlots
from fetchall.urls import url_to_fetch

_LENGTH = struct.Struct("!I")


class Setup(NamedTuple):
    """The first message to a worker: how to fetch, and its part of the run's shared bounds."""

    options: Options
    """The run's options, with ``limit`` cut to this worker's share and no ``per_host``
    (the coordinator holds the per-host slots)."""
    share: tuple[int, int]
    """``(i, n)``: this worker takes the i-th of every n start times of the ``--rate`` grid."""
    origin: float
    """Where that grid starts, on the system-wide monotonic clock."""
    save_root: Path | None
    save_directory: Path | None
    """Where ``--save`` writes (the root, and the staging directory of an ``all`` run)."""
    log_level: int
    """The coordinator's ``fetchall`` log level: with ``-v``, workers log retries and hops
    to the same standard error."""


class Start(NamedTuple):
    """Fetch ``job``; ``save_as`` is the path the coordinator claimed for its body."""

    id: int
    job: Job
    save_as: PurePosixPath | None


class Cancel(NamedTuple):
    """Stop fetching job ``id`` at once (its connection closes); no answer follows."""

    id: int


class Done(NamedTuple):
    """Job ``id`` ended with ``result``."""

    id: int
    result: Result


Message = Setup | Start | Cancel | Done


class _Outbox:
    """Messages put in one turn of the event loop leave together, as one frame."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._messages: list[Message] = []

    def put(self, message: Message) -> None:
        self._messages.append(message)
        if len(self._messages) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Send what is queued now."""
        messages, self._messages = self._messages, []
        if messages:
            data = pickle.dumps(messages, protocol=pickle.HIGHEST_PROTOCOL)
            self._write(_LENGTH.pack(len(data)) + data)


async def _read_frame(reader: asyncio.StreamReader) -> list[Message] | None:
    """The next frame's messages, or None at the end of the stream."""
    try:
        header = await reader.readexactly(_LENGTH.size)
        messages: list[Message] = pickle.loads(await reader.readexactly(_LENGTH.unpack(header)[0]))
    except asyncio.IncompleteReadError:
        return None
    return messages


class _Worker:
    """The coordinator's handle on one worker process."""

    def __init__(self, process: asyncio.subprocess.Process, limit: int) -> None:
        self.process = process
        self.limit = limit
        self.load = 0
        self.waiting: dict[int, asyncio.Future[Result]] = {}
        self.outbox = _Outbox(self._write)

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(data)

    async def receive(self) -> None:
        """Hand each result to the task waiting for it, until the worker's output ends."""
        assert self.process.stdout is not None
        while (messages := await _read_frame(self.process.stdout)) is not None:
            for done in messages:
                assert isinstance(done, Done), "a worker only ever answers with Done"
                future = self.waiting.pop(done.id, None)
                if future is not None and not future.done():
                    future.set_result(done.result)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("a fetchall worker process ended early"))


class _Here:
    """The coordinator's own share of the fetching, with a :class:`Fetcher` of its own."""

    def __init__(self, fetcher: Fetcher, limit: int) -> None:
        self.fetcher = fetcher
        self.limit = limit
        self.load = 0


class WorkerPool:
    """Fetches jobs in ``count`` processes, this one included; used by the engine in place
    of a :class:`Fetcher`.

    This process fetches a share itself: a job fetched here needs no message and no pickling,
    and ``--workers 2`` starts one interpreter, not two (each costs about 0.17 s of CPU).
    """

    def __init__(self, options: Options, store: BodyStore | None, count: int) -> None:
        self._options = options
        self._store = store
        self._count = max(1, min(count, options.limit))
        self._hosts = HostSlots(options.per_host) if options.per_host else None
        self._workers: list[_Worker] = []
        self._here: _Here | None = None
        self._ids = itertools.count()
        self._group = asyncio.TaskGroup()

    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        started = False
        try:
            origin = time.monotonic()
            await self._start_workers(origin)
            own = self._share_of(0)
            fetcher = Fetcher(own, self._store, pacer_share=((0, self._count), origin))
            await fetcher.__aenter__()
            self._here = _Here(fetcher, own.limit)
            started = True
        finally:
            if not started:  # no worker may outlive a failed (or cancelled) start
                await self._stop_workers()
                await self._group.__aexit__(*sys.exc_info())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._stop_workers()
        finally:
            if self._here is not None:
                await self._here.fetcher.__aexit__(exc_type, exc, tb)
            await self._group.__aexit__(exc_type, exc, tb)

    def _share_of(self, index: int) -> Options:
        """The options of fetcher ``index``: its share of ``--limit`` (the shares add up to it
        exactly: 10 over 3 is 4, 3, 3) and no ``--per-host``, which this process holds."""
        options, count = self._options, self._count
        limit = options.limit // count + (index < options.limit % count)
        return dataclasses.replace(options, limit=limit, per_host=None)

    async def _start_workers(self, origin: float) -> None:
        save_root = self._store.root if self._store is not None else None
        save_directory = self._store.directory if self._store is not None else None
        for index in range(1, self._count):  # share 0 is this process's own
            worker_options = self._share_of(index)
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                # Not ``-m fetchall.transport.workers``: as ``__main__`` the message classes would
                # not be the ``fetchall.transport.workers`` ones that the pickled messages name.
                "-c",
                "from fetchall.transport.workers import main; main()",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            worker = _Worker(process, worker_options.limit)
            self._workers.append(worker)
            worker.outbox.put(
                Setup(
                    worker_options,
                    (index, self._count),
                    origin,
                    save_root,
                    save_directory,
                    logging.getLogger("fetchall").getEffectiveLevel(),
                )
            )
            self._group.create_task(worker.receive())

    async def _stop_workers(self) -> None:
        for worker in self._workers:
            worker.outbox.flush()  # the cancellations of this very turn go out first
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in self._workers:
            await worker.process.wait()

    async def fetch(self, job: Job) -> Result:
        """Fetch ``job`` here or in the least busy worker; cancelling this cancels it there
        too."""
        if self._store is None and self._hosts is None:
            # Nothing here needs the URL parsed: the fetcher parses it (and reports it invalid).
            return await self._dispatch(job, None)
        url = url_to_fetch(job)
        if isinstance(url, Result):
            return url
        save_as = self._store.claim(url) if self._store is not None else None
        if self._hosts is None:
            return await self._dispatch(job, save_as)
        async with self._hosts.hold(url.host or ""):
            return await self._dispatch(job, save_as)

    async def _dispatch(self, job: Job, save_as: PurePosixPath | None) -> Result:
        here = self._here
        assert here is not None, "use WorkerPool as an async context manager"
        # Here first when as busy as the least busy worker: that costs no message.
        worker = min(self._workers, key=lambda w: w.load / w.limit, default=None)
        if worker is None or here.load / here.limit <= worker.load / worker.limit:
            here.load += 1
            try:
                return await here.fetcher.fetch(job, save_as)
            finally:
                here.load -= 1
        job_id = next(self._ids)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        worker.waiting[job_id] = future
        worker.load += 1
        worker.outbox.put(Start(job_id, job, save_as))
        try:
            return await future
        except asyncio.CancelledError:
            worker.outbox.put(Cancel(job_id))
            raise
        finally:
            worker.load -= 1
            worker.waiting.pop(job_id, None)


async def _serve() -> None:
    """A worker's life: fetch the jobs that arrive, answer each, stop when stdin closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, sys.stdout)
    messages = await _read_frame(reader)
    if not messages:
        return
    setup = messages[0]
    assert isinstance(setup, Setup), "the coordinator sends Setup first"
    logging.basicConfig(
        level=setup.log_level, format="fetchall: %(message)s", stream=sys.stderr, force=True
    )
    store = None
    if setup.save_directory is not None:
        store = BodyStore(setup.save_directory, root=setup.save_root)
    fetcher = Fetcher(setup.options, store, pacer_share=(setup.share, setup.origin))
    running: dict[int, asyncio.Task[None]] = {}
    outbox = _Outbox(transport.write)

    async def fetch(job_id: int, job: Job, save_as: PurePosixPath | None) -> None:
        try:
            result = await fetcher.fetch(job, save_as)
        finally:
            running.pop(job_id, None)
        outbox.put(Done(job_id, result))

    async with fetcher, asyncio.TaskGroup() as group:
        while (messages := await _read_frame(reader)) is not None:
            for message in messages:
                match message:
                    case Start(job_id, job, save_as):
                        running[job_id] = group.create_task(fetch(job_id, job, save_as))
                    case Cancel(job_id) if (task := running.get(job_id)) is not None:
                        task.cancel()
        for task in running.values():
            task.cancel()
    outbox.flush()
    transport.close()


def main() -> None:
    """Entry point of a worker process."""
    # Ctrl-C reaches the whole process group; only the coordinator decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    collect_less_often()
    with contextlib.suppress(BrokenPipeError):
        process.run(_serve())
