"""The run's stream of jobs, read from its sources by a daemon thread.

Why a thread: a pipe or FIFO may block for ever, and a run that stops early (``first`` mode, a
signal, a closed stdout) must be able to leave while a writer still holds standard input open.
Why daemon: such a thread may sit in ``read()`` when the process exits, and nothing should wait
for it. Backpressure keeps at most a few batches in memory, so a million-line file costs what
a thousand-line one does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

from fetchall.inputs.sharding import Shard, in_shard, kept_jobs
from fetchall.inputs.sources import ARGUMENT, InputError, SourceKind, jobs_of, open_sources
from fetchall.inputs.sources import Source as _Source
from fetchall.models import Job

# The command line imports these from here.
__all__ = ["InputError", "JobReader", "Shard", "_Source", "open_sources"]

_BATCHES_AHEAD = 4


class JobReader:
    """An async iterator of jobs read from the given sources, in order, by a daemon thread.

    ``close()`` stops the thread at its next batch; jobs not read by then are never read.
    URLs given as arguments are the exception: they count as read from the start, and
    :meth:`untaken_arguments` gives those the consumer never took.
    """

    def __init__(self, sources: list[_Source], shard: Shard | None = None) -> None:
        self._sources = sources
        self._shard = shard
        self._queue: asyncio.Queue[list[Job] | BaseException | None] = asyncio.Queue()
        self._room = threading.Semaphore(_BATCHES_AHEAD)
        self._closed = threading.Event()
        self.jobs_read = 0
        """Jobs read so far, before sharding: tells an empty input from an empty shard."""
        self.total: int | None = None
        """How many jobs this reader yields in all (after the shard): set once every source has
        been read to its end, before the end is handed over; None until then, and for good if
        the reader is closed or fails first."""
        # What the thread has numbered, shared with the loop: the next free index, and the jobs
        # of the argument URLs it reached. Once frozen, the thread numbers nothing more.
        self._numbering = threading.Lock()
        self._frozen = False
        self._argument_jobs: dict[int, Job] = {}
        self._arguments = [
            position
            for position, source in enumerate(sources)
            if source.kind is SourceKind.URL and in_shard(shard, source.name)
        ]
        self._arguments_taken = 0
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="fetchall-input", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop reading; a thread blocked in read() is left to die with the process."""
        self._closed.set()
        self._room.release()

    async def __aiter__(self) -> AsyncIterator[Job]:
        while True:
            batch = await self._queue.get()
            self._room.release()
            if batch is None:
                return
            if isinstance(batch, BaseException):
                raise batch
            for job in batch:
                if job.source == ARGUMENT:
                    self._arguments_taken += 1
                yield job

    def untaken_arguments(self) -> list[Job]:
        """Stop reading, and return the jobs of the argument URLs never taken from this reader.

        An argument the reader had not reached yet is numbered after the last job it read,
        since the lines between are never read.
        """
        self.close()
        with self._numbering:
            self._frozen = True
            next_index = self.jobs_read
            untaken = []
            for position in self._arguments[self._arguments_taken :]:
                job = self._argument_jobs.get(position)
                if job is None:
                    job = Job(next_index, self._sources[position].name, ARGUMENT)
                    next_index += 1
                untaken.append(job)
        return untaken

    def _hand_over(self, item: list[Job] | BaseException | None) -> bool:
        self._room.acquire()
        if self._closed.is_set():
            return False
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return False
        return True

    def _run(self) -> None:
        try:
            kept = 0
            for batch in self._batches():
                kept += len(batch)
                if not self._hand_over(batch):
                    return
            if not self._closed.is_set():
                self.total = kept
            self._hand_over(None)
        except InputError as exc:
            self._hand_over(exc)
        except OSError as exc:
            self._hand_over(InputError(f"cannot read input: {exc}"))
        except Exception as exc:
            self._hand_over(exc)

    def _batches(self) -> Iterator[list[Job]]:
        """The batches the shard keeps, each numbered in the whole input, until frozen."""
        for position, source in enumerate(self._sources):
            for batch in jobs_of(source, self.jobs_read):
                with self._numbering:
                    if self._frozen:
                        return
                    self.jobs_read = batch[-1].index + 1
                    if source.kind is SourceKind.URL:
                        self._argument_jobs[position] = batch[0]
                # Once closed, the next hand-over ends the thread: nothing is yielded after it.
                if kept := kept_jobs(self._shard, batch):
                    yield kept
