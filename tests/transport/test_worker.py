"""A worker's serve loop in this process, over pipes: what it answers, what it cancels.

The pool's tests (test_workers.py) run real worker processes; here the same loop runs where
coverage and assertions can see it, driven message by message.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from support.fault_server import FaultServer
from yarl import URL

from fetchall import Job, Options
from fetchall.saving import BodyStore
from fetchall.transport.limits import Share
from fetchall.transport.wire import (
    Alive,
    Cancel,
    Done,
    Message,
    Outbox,
    Setup,
    Start,
    read_frame,
)
from fetchall.transport.worker import serve


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """``serve`` sets up logging as a worker process would; give the root logger back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class Pipes:
    """The worker's stdin and stdout, and this side's ends of them."""

    def __init__(self) -> None:
        to_worker, self.to_worker = os.pipe()
        self.from_worker, from_worker = os.pipe()
        self.stdin: IO[Any] = os.fdopen(to_worker, "rb", buffering=0)
        self.stdout: IO[Any] = os.fdopen(from_worker, "wb", buffering=0)

    async def answers(self) -> asyncio.StreamReader:
        reader = asyncio.StreamReader()
        source = os.fdopen(self.from_worker, "rb", buffering=0)
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), source
        )
        return reader

    def outbox(self) -> Outbox:
        return Outbox(lambda data: os.write(self.to_worker, data))

    def close_stdin(self) -> None:
        os.close(self.to_worker)


def setup(options: Options) -> Setup:
    return Setup(options, Share.whole(options), None, None, logging.WARNING)


async def next_answers(answers: asyncio.StreamReader) -> list[Message] | None:
    """The messages of the next frame that holds more than heartbeats; None at the end."""
    while (frame := await asyncio.wait_for(read_frame(answers), 30)) is not None:
        if messages := [message for message in frame if not isinstance(message, Alive)]:
            return messages
    return None


def test_a_worker_sends_heartbeats_while_idle() -> None:
    """A sign of life at once, and then every heartbeat_s, with no job to answer."""
    pipes = Pipes()

    async def main() -> list[list[Message]]:
        answers = await pipes.answers()
        async with asyncio.TaskGroup() as group:
            group.create_task(serve(pipes.stdin, pipes.stdout))
            pipes.outbox().put(setup(Options())._replace(heartbeat_s=0.01))
            frames = [await asyncio.wait_for(read_frame(answers), 30) for _ in range(3)]
            pipes.close_stdin()
        return [frame for frame in frames if frame is not None]

    assert asyncio.run(main()) == [[Alive()]] * 3


async def until(server: FaultServer, predicate: Any) -> None:
    await asyncio.to_thread(server.wait_until, predicate, 30.0)


def test_answers_started_jobs_and_not_cancelled_ones(server: FaultServer) -> None:
    pipes = Pipes()

    async def main() -> tuple[list[Message], list[Message] | None]:
        answers = await pipes.answers()
        outbox = pipes.outbox()
        async with asyncio.TaskGroup() as group:
            serving = group.create_task(serve(pipes.stdin, pipes.stdout))
            outbox.put(setup(Options()))
            outbox.put(Start(1, Job(0, server.url("/ok"), "arg"), None))
            outbox.put(Start(2, Job(1, server.url("/hang"), "arg"), None))
            outbox.put(Start(3, Job(2, server.url("/hang"), "arg"), None))
            first = await next_answers(answers)
            assert first is not None
            await until(server, lambda s: s.in_flight == 2)
            outbox.put(Cancel(2))
            outbox.put(Cancel(99))  # a job the worker does not run: nothing to do
            await until(server, lambda s: s.disconnects == 1)
            pipes.close_stdin()  # the coordinator is done: job 3 is cancelled
            await until(server, lambda s: s.disconnects == 2)
            last = await next_answers(answers)
        assert serving.done()
        return first, last

    first, last = asyncio.run(main())
    assert len(first) == 1
    done = first[0]
    assert isinstance(done, Done)
    assert (done.id, done.result.ok, done.result.status) == (1, True, 200)
    assert last is None  # jobs 2 and 3 were never answered, and the output ended
    assert server.total_requests == 3


def test_a_worker_saves_to_the_path_the_coordinator_claimed(
    server: FaultServer, tmp_path: Path
) -> None:
    store = BodyStore(tmp_path)
    url = server.url("/ok")
    save_as = store.claim(URL(url))
    pipes = Pipes()

    async def main() -> list[Message] | None:
        answers = await pipes.answers()
        outbox = pipes.outbox()
        async with asyncio.TaskGroup() as group:
            group.create_task(serve(pipes.stdin, pipes.stdout))
            options = Options()
            outbox.put(Setup(options, Share.whole(options), store.root, store.directory, 30))
            outbox.put(Start(7, Job(0, url, "arg"), save_as))
            answer = await next_answers(answers)
            pipes.close_stdin()
        return answer

    answer = asyncio.run(main())
    assert answer is not None
    (done,) = answer
    assert isinstance(done, Done)
    assert done.id == 7
    assert done.result.saved_to is not None
    assert Path(done.result.saved_to).read_bytes() == b"ok\n"
    assert server.total_requests == 1


def test_a_worker_closed_before_setup_ends_at_once() -> None:
    pipes = Pipes()

    async def main() -> list[Message] | None:
        answers = await pipes.answers()
        pipes.close_stdin()
        await asyncio.wait_for(serve(pipes.stdin, pipes.stdout), 30)
        pipes.stdout.close()
        return await asyncio.wait_for(read_frame(answers), 30)

    assert asyncio.run(main()) is None
