"""A worker process of ``--workers``: fetch the jobs the coordinator starts, answer each.

Started by :class:`fetchall.transport.workers.WorkerPool` as
``python -c "from fetchall.transport.worker import main; main()"``; not with ``-m``, which
would run this module as ``__main__``. A worker ends when its stdin closes, cancelling
whatever it still runs. From its setup to its end it sends a heartbeat
(:class:`fetchall.transport.wire.Alive`), also while it closes its connections: the
coordinator kills a worker that goes silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import PurePosixPath
from typing import IO, Any, assert_never

from fetchall import process
from fetchall.models import Job
from fetchall.process import collect_less_often
from fetchall.saving import BodyStore
from fetchall.transport.fetcher import Fetcher
from fetchall.transport.logs import stderr_handler
from fetchall.transport.wire import (
    Alive,
    Cancel,
    Done,
    Message,
    Outbox,
    Setup,
    Start,
    ToWorker,
    read_frame,
)

COMMAND = "from fetchall.transport.worker import main; main()"
"""What ``python -c`` runs to start a worker."""


def main() -> None:  # pragma: no cover (runs only in worker processes: coverage follows none)
    """Entry point of a worker process."""
    # Ctrl-C reaches the whole process group; only the coordinator decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    collect_less_often()
    with contextlib.suppress(BrokenPipeError):
        process.run(serve(sys.stdin, sys.stdout))


async def serve(stdin: IO[Any], stdout: IO[Any]) -> None:
    """A worker's life: set up from the first message on ``stdin``, then fetch the jobs that
    arrive and answer each on ``stdout``, until ``stdin`` closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    transport, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, stdout)
    try:
        messages = await read_frame(reader)
        if messages:
            outbox = Outbox(transport.write)
            await _serve_jobs(messages, reader, outbox)
            outbox.flush()
    finally:
        transport.close()


async def _serve_jobs(
    messages: list[Message], reader: asyncio.StreamReader, outbox: Outbox
) -> None:
    setup, *first_jobs = messages  # Starts put in the same turn share Setup's frame
    assert isinstance(setup, Setup), "the coordinator sends Setup first"
    logging.basicConfig(level=setup.log_level, handlers=[stderr_handler(sys.stderr)], force=True)
    store = None
    if setup.save_directory is not None:
        store = BodyStore(setup.save_directory, root=setup.save_root)
    async with asyncio.TaskGroup() as group:
        beating = group.create_task(_send_heartbeats(outbox, setup.heartbeat_s))
        try:
            async with Fetcher(setup.options, store, share=setup.share) as fetcher:
                await _Jobs(fetcher, outbox).serve(first_jobs, reader)
        finally:
            beating.cancel()


async def _send_heartbeats(outbox: Outbox, every_s: float) -> None:
    while True:
        outbox.put(Alive())  # the first at once: the coordinator knows this worker is up
        await asyncio.sleep(every_s)


class _Jobs:
    """The jobs a worker runs, each a task of one group, answered with a :class:`Done`."""

    def __init__(self, fetcher: Fetcher, outbox: Outbox) -> None:
        self._fetcher = fetcher
        self._outbox = outbox
        self._running: dict[int, asyncio.Task[None]] = {}

    async def serve(self, messages: list[Message], reader: asyncio.StreamReader) -> None:
        """Act on ``messages``, then on each that arrives until the coordinator closes the
        stream; then cancel the jobs still running."""
        async with asyncio.TaskGroup() as group:
            next_messages: list[Message] | None = messages
            while next_messages is not None:
                for message in next_messages:
                    assert isinstance(message, Start | Cancel), "only Start and Cancel follow"
                    self._act_on(message, group)
                next_messages = await read_frame(reader)
            for task in self._running.values():
                task.cancel()

    def _act_on(self, message: ToWorker, group: asyncio.TaskGroup) -> None:
        match message:
            case Start(job_id, job, save_as):
                self._running[job_id] = group.create_task(self._fetch(job_id, job, save_as))
            case Cancel(job_id):
                # A job that has just ended has nothing left to cancel.
                if (task := self._running.get(job_id)) is not None:
                    task.cancel()
            case _:  # pragma: no cover (mypy proves it unreachable; a new message kind fails it)
                assert_never(message)

    async def _fetch(self, job_id: int, job: Job, save_as: PurePosixPath | None) -> None:
        try:
            result = await self._fetcher.fetch(job, save_as)
        finally:
            self._running.pop(job_id, None)
        self._outbox.put(Done(job_id, result))
