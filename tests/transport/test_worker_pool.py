"""The coordinator's side of ``--workers`` when a worker cannot start or ends early."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import pytest
from support.fault_server import FaultServer

from fetchall import ErrorKind, Job, Options, Result
from fetchall.transport import worker_handle
from fetchall.transport.workers import WorkerPool


def test_a_worker_that_cannot_start_fails_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")

    async def main() -> None:
        async with WorkerPool(Options(), None, 2):
            pytest.fail("the pool started without its worker")

    with pytest.raises(ExceptionGroup) as raised:
        asyncio.run(main())
    assert [type(e) for e in raised.value.exceptions] == [FileNotFoundError]


class Spawned:
    """Notes each worker process the pool starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.processes: list[asyncio.subprocess.Process] = []
        spawn = asyncio.create_subprocess_exec

        async def spawn_and_note(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
            process = await spawn(*args, **kwargs)
            self.processes.append(process)
            return process

        monkeypatch.setattr(asyncio, "create_subprocess_exec", spawn_and_note)


async def one_job_here_one_there(
    server: FaultServer, pool: WorkerPool, group: asyncio.TaskGroup
) -> tuple[asyncio.Task[Result], asyncio.Task[Result]]:
    """With --limit 2 over 2 processes: a gated job here, then a hanging one in the worker."""
    here = group.create_task(pool.fetch(Job(0, server.url("/gate/w"), "arg")))
    await asyncio.to_thread(server.wait_for_arrivals, "w", 1, 30.0)
    there = group.create_task(pool.fetch(Job(1, server.url("/hang"), "arg")))
    await asyncio.to_thread(server.wait_until, lambda s: s.in_flight == 2, 30.0)
    return here, there


def test_a_job_in_a_worker_that_dies_ends_as_worker_lost(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker is killed while it fetches: its job ends as worker_lost at once (not an
    exception, not a wait for ever), and the pool goes on without it."""
    spawned = Spawned(monkeypatch)

    async def main() -> tuple[Result, Result, list[Result], int | None]:
        async with WorkerPool(Options(limit=2), None, 2) as pool:
            async with asyncio.TaskGroup() as group:
                here, there = await one_job_here_one_there(server, pool, group)
                (worker,) = spawned.processes
                worker.kill()
                lost = await asyncio.wait_for(asyncio.shield(there), 30)
                server.release("w")
            # Both go here: the dead worker gets no job, and nothing waits for it.
            later = [await pool.fetch(Job(i, server.url("/ok"), "arg")) for i in (2, 3)]
        return here.result(), lost, later, worker.returncode  # the pool has reaped it

    result, lost, later, returncode = asyncio.run(main())
    assert lost.error is not None
    assert (lost.index, lost.error.kind, lost.attempts) == (1, ErrorKind.WORKER_LOST, 1)
    assert "ended" in lost.error.message
    assert (result.ok, result.status) == (True, 200)
    assert [(r.index, r.ok) for r in later] == [(2, True), (3, True)]
    assert returncode == -signal.SIGKILL
    assert server.hits["/hang"] == 1  # never tried again


def test_a_stopped_worker_is_lost_after_its_silence_and_killed(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGSTOP: no more heartbeats; after lost_after_s the worker is killed, its job ends."""
    spawned = Spawned(monkeypatch)

    async def main() -> tuple[Result, float, int | None]:
        async with WorkerPool(Options(limit=2), None, 2, lost_after_s=1.0) as pool:
            async with asyncio.TaskGroup() as group:
                _, there = await one_job_here_one_there(server, pool, group)
                (worker,) = spawned.processes
                os.kill(worker.pid, signal.SIGSTOP)
                stopped = time.monotonic()
                lost = await asyncio.wait_for(asyncio.shield(there), 30)
                waited = time.monotonic() - stopped
                server.release("w")
            await asyncio.wait_for(worker.wait(), 30)
            return lost, waited, worker.returncode

    lost, waited, returncode = asyncio.run(main())
    assert lost.error is not None
    assert lost.error.kind is ErrorKind.WORKER_LOST
    assert "sent nothing for" in lost.error.message
    assert 1.0 <= waited < 10.0
    assert returncode == -signal.SIGKILL
    server.wait_until(lambda s: s.in_flight == 0)  # the kill closed its connection


def test_a_stopped_worker_does_not_hold_up_the_end_of_the_run(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving the pool while a worker is stopped (a deadline, a signal) kills it soon,
    however long the silence allowed during the run."""
    spawned = Spawned(monkeypatch)

    async def main() -> tuple[float, int | None]:
        async with WorkerPool(Options(limit=2), None, 2, lost_after_s=600.0) as pool:
            async with asyncio.TaskGroup() as group:
                here, there = await one_job_here_one_there(server, pool, group)
                (worker,) = spawned.processes
                os.kill(worker.pid, signal.SIGSTOP)
                here.cancel()
                there.cancel()
            leaving = time.monotonic()
        return time.monotonic() - leaving, worker.returncode

    took, returncode = asyncio.run(main())
    assert returncode == -signal.SIGKILL
    # Silent for STOP_SILENCE_BEATS heartbeats of 0.5 s: killed within about 2 s.
    assert took < 5.0


def test_a_worker_that_does_not_end_in_its_grace_is_killed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Silent or not, a worker gets STOP_GRACE_S to end once the pool stops; here only the
    grace can end it (silence is allowed for ever)."""
    spawned = Spawned(monkeypatch)
    monkeypatch.setattr(worker_handle, "STOP_GRACE_S", 1.0)
    monkeypatch.setattr(worker_handle, "STOP_SILENCE_BEATS", 10**6)

    async def main() -> tuple[float, int | None]:
        async with WorkerPool(Options(limit=2), None, 2, lost_after_s=600.0):
            (worker,) = spawned.processes
            os.kill(worker.pid, signal.SIGSTOP)
            leaving = time.monotonic()
        return time.monotonic() - leaving, worker.returncode

    took, returncode = asyncio.run(main())
    assert returncode == -signal.SIGKILL
    assert 1.0 <= took < 10.0
