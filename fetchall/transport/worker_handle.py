"""The coordinator's handle on one worker process: the jobs it holds, and whether it lives.

A worker is lost when its output ends while the run still needs it (it died: killed, out of
memory, crashed) or when it sends nothing, not even the heartbeat it sends every
``heartbeat_s`` (:class:`fetchall.transport.wire.Alive`), for ``lost_after_s`` (it hangs or
was stopped). A lost worker is killed, so that it never outlives the command, and every job
it held ends at once: the pool turns each into a ``worker_lost`` result.

While the pool stops, a worker is given :data:`STOP_GRACE_S` to end after its stdin closes,
and less when it is silent (:data:`STOP_SILENCE_BEATS` heartbeats): a stopped worker cannot
end on its own, and the run must end on time (``--deadline``, a signal).

Writes to a worker never block: the pipe's transport buffers what the worker has not read
yet, which is at most the messages of the jobs in flight (``--limit`` bounds them), and a lost
worker is written nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

from fetchall.models import Result
from fetchall.transport.wire import Done, Outbox, read_frame

STARTUP_ALLOWANCE_S = 10.0
"""Silence allowed before a worker's first message: an interpreter starting on a busy machine
may take seconds to import aiohttp."""
STOP_GRACE_S = 10.0
"""The longest a worker may take to end once the pool stops; then it is killed."""
STOP_SILENCE_BEATS = 4
"""While the pool stops, a worker silent for this many heartbeats is killed."""


class WorkerHandle:
    """One worker process as the pool sees it: its load, its jobs, its liveness."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        limit: int,
        *,
        lost_after_s: float,
        heartbeat_s: float,
        on_lost: Callable[[WorkerHandle], object],
    ) -> None:
        self.process = process
        self.limit = limit
        """Its share of ``--limit``."""
        self.load = 0
        self.waiting: dict[int, asyncio.Future[Result | None]] = {}
        """The jobs it holds, by id; a future's None says the worker was lost."""
        self.outbox = Outbox(self._write)
        self.lost_because: str | None = None
        """Why the worker was lost, once it is."""
        self._lost_after_s = lost_after_s
        self._heartbeat_s = heartbeat_s
        self._on_lost = on_lost
        self._frames = 0
        self._stopping_since: float | None = None

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None, "workers are started with a pipe on stdin"
        # A Cancel may come after the pool has closed the pipe: the worker is ending anyway.
        if self.lost_because is None and not stdin.is_closing():
            stdin.write(data)

    async def live(self) -> None:
        """Hand each result to the task waiting for it and watch for silence, until the
        worker process has ended (and is reaped)."""
        async with asyncio.TaskGroup() as group:
            watching = group.create_task(self._watch())
            await self._receive()
            await self.process.wait()
            watching.cancel()

    async def _receive(self) -> None:
        assert self.process.stdout is not None, "workers are started with a pipe on stdout"
        while (messages := await read_frame(self.process.stdout)) is not None:
            self._frames += 1
            for message in messages:
                # None: the job was cancelled here while the worker finished it.
                if (
                    isinstance(message, Done)
                    and (future := self.waiting.pop(message.id, None)) is not None
                ):
                    future.set_result(message.result)
        if self._stopping_since is None:
            self.lose(f"the worker process fetching it (pid {self.process.pid}) ended")

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        heard, since = self._frames, loop.time()
        allowance = max(self._lost_after_s, STARTUP_ALLOWANCE_S)
        while True:
            await asyncio.sleep(self._heartbeat_s / 2)
            now = loop.time()
            if self._frames != heard:
                heard, since = self._frames, now
                allowance = self._lost_after_s
            if self._stopping_since is not None:
                allowance = min(allowance, STOP_SILENCE_BEATS * self._heartbeat_s)
                if now - self._stopping_since >= STOP_GRACE_S:
                    since = now - allowance  # it answers, but it does not end
            if now - since >= allowance:
                self.lose(
                    f"the worker process fetching it (pid {self.process.pid}) sent nothing "
                    f"for {now - since:.1f} s and was killed"
                )

    def lose(self, reason: str) -> None:
        """Give the worker up: kill it, and end every job it holds (once)."""
        if self.lost_because is not None:
            return
        self.lost_because = reason
        self._on_lost(self)
        if self.process.returncode is None:
            # Not Process.kill(): Popen polls before it signals, and that poll would reap the
            # child before asyncio's watcher does, which then reports a made-up returncode.
            with contextlib.suppress(ProcessLookupError):  # it ended a moment ago
                os.kill(self.process.pid, signal.SIGKILL)
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            future.set_result(None)

    def stop(self) -> None:
        """Close the worker's stdin, which asks it to end; :meth:`live` ends once it has."""
        self._stopping_since = asyncio.get_running_loop().time()
        self.outbox.flush()  # the cancellations of this very turn go out first
        assert self.process.stdin is not None, "workers are started with a pipe on stdin"
        self.process.stdin.close()
