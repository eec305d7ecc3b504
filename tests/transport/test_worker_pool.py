"""The coordinator's side of ``--workers`` when a worker cannot start or ends early."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from support.fault_server import FaultServer

from fetchall import Job, Options, Result
from fetchall.transport.workers import WorkerPool


def test_a_worker_that_cannot_start_fails_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")

    async def main() -> None:
        async with WorkerPool(Options(), None, 2):
            pytest.fail("the pool started without its worker")

    with pytest.raises(ExceptionGroup) as raised:
        asyncio.run(main())
    assert [type(e) for e in raised.value.exceptions] == [FileNotFoundError]


def test_a_job_in_a_worker_that_ends_early_fails_loudly(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker is killed while it fetches: its job raises instead of waiting for ever."""
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def spawn_and_note(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await spawn(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spawn_and_note)

    async def failure_of(pool: WorkerPool, job: Job) -> str:
        try:
            await pool.fetch(job)
        except RuntimeError as error:
            return str(error)
        return "no failure"

    async def main() -> tuple[Result, str]:
        # --limit 2 over 2 processes: one job here, the next in the worker.
        async with WorkerPool(Options(limit=2), None, 2) as pool:
            async with asyncio.TaskGroup() as group:
                here = group.create_task(pool.fetch(Job(0, server.url("/gate/w"), "arg")))
                await asyncio.to_thread(server.wait_for_arrivals, "w", 1, 30.0)
                there = group.create_task(failure_of(pool, Job(1, server.url("/hang"), "arg")))
                await asyncio.to_thread(server.wait_until, lambda s: s.in_flight == 2, 30.0)
                (worker,) = started
                worker.kill()
                await asyncio.wait_for(asyncio.shield(there), 30)
                server.release("w")
            return here.result(), there.result()

    result, failure = asyncio.run(main())
    assert failure == "a fetchall worker process ended early"
    assert (result.ok, result.status) == (True, 200)
