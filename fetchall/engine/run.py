"""A run of the engine: jobs in by the mode's rule, results out, and the run's summary.

The run owns what it opens: the stream of jobs it reads, the transport, the deadline's timer.
Its slots (:mod:`fetchall.engine.scheduler`) fetch the jobs; its policy
(:mod:`fetchall.engine.policies`) says what each outcome means for the mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, assert_never

from fetchall.engine.jobstream import InputWithArguments, JobSource, job_stream, with_defaults
from fetchall.engine.policies import (
    AllOrNothingPolicy,
    Policy,
    ResultCallback,
    streaming_policy_for,
)
from fetchall.engine.scheduler import Slots
from fetchall.engine.stopping import Stopper, StopReason
from fetchall.models import Job, Mode, Summary
from fetchall.options import Options
from fetchall.urls import invalid_result

if TYPE_CHECKING:
    from fetchall.saving import BodyStore
    from fetchall.transport import Transport

TransportFactory = Callable[[Options, "BodyStore | None"], "Transport"]
"""Builds the transport of a run from its options and its body store (None without --save)."""

__all__ = ["ResultCallback", "Run", "StopReason", "Stopper", "TransportFactory"]


class Run:
    """One run of the engine. Build it, optionally keep its :attr:`stopper` to stop it from
    outside (signals, a closed output), then ``await run.execute(jobs)``.

    ``transport`` builds what fetches the jobs; by default
    :func:`fetchall.transport.transport_for`, which the options decide.
    """

    def __init__(
        self,
        mode: Mode,
        options: Options,
        emit: ResultCallback,
        *,
        transport: TransportFactory | None = None,
    ) -> None:
        self.mode = mode
        self.options = options
        self.stopper = Stopper()
        self._emit = emit
        self._transport = transport
        self._store: BodyStore | None = None
        if options.save_dir is not None:
            from fetchall.saving import BodyStore  # noqa: PLC0415 (start-up: only when saving)

            self._store = BodyStore(options.save_dir, staged=mode is Mode.ALL)

    async def execute(self, jobs: JobSource) -> Summary:
        """Fetch ``jobs`` by the mode's rule, emitting results; return the run's summary.

        ``--deadline`` counts from here, the wait for the first job included. A run that stops
        early reads no more jobs, so those not yet read are not reported, except, when ``jobs``
        is an :class:`InputWithArguments`, the ones that count as read from the start: each is
        reported as the stop's reason says.
        """
        started = time.monotonic()
        deadline = None
        if self.options.deadline is not None:
            deadline = asyncio.get_running_loop().call_later(
                self.options.deadline, self.stopper.stop, StopReason.DEADLINE
            )
        try:
            async with contextlib.aclosing(job_stream(jobs, defaults=self.options.expect)) as read:
                policy = await self._by_mode(read, jobs)
            policy.close()
        finally:
            if deadline is not None:
                deadline.cancel()
        return Summary(
            mode=self.mode,
            ok=policy.counts.ok,
            failed=policy.counts.failed,
            cancelled=policy.counts.cancelled,
            elapsed_s=time.monotonic() - started,
            warnings=policy.counts.warnings,
        )

    async def _by_mode(self, jobs: AsyncIterator[Job], source: JobSource) -> Policy:
        match self.mode:
            case Mode.INDEPENDENT | Mode.FIRST:
                policy = streaming_policy_for(
                    self.mode,
                    self._emit,
                    self.stopper,
                    max_failures=self.options.max_failures,
                    stagger=self.options.stagger,
                    drop_body=None if self._store is None else self._store.drop,
                )
                await self._fetch(jobs, policy)
                if self.stopper.reason is not None:
                    for job in self._read_from_start(source):
                        policy.interrupted(job, self.stopper.reason)
                return policy
            case Mode.ALL:
                return await self._all_or_nothing(jobs, source)
            case _:  # pragma: no cover (unreachable: the cases above name every member)
                assert_never(self.mode)

    async def _all_or_nothing(
        self, jobs: AsyncIterator[Job], source: JobSource
    ) -> AllOrNothingPolicy:
        """All-or-nothing reads and checks the whole input before sending anything."""
        listed: list[Job] = []
        await self.stopper.unless_stopped(_read_into(listed, jobs))
        if self.stopper.stopped:
            # Stopped while reading: every job read is reported cancelled.
            listed += self._read_from_start(source)
            return AllOrNothingPolicy(self._emit, self.stopper, listed)
        transaction = AllOrNothingPolicy(self._emit, self.stopper, listed)
        invalid = [(job, result) for job in listed if (result := invalid_result(job)) is not None]
        if invalid:
            self.stopper.stop(StopReason.INVALID_INPUT)
            for job, result in invalid:
                transaction.finished(job, result)
            return transaction
        try:
            async with contextlib.aclosing(job_stream(listed)) as again:
                await self._fetch(again, transaction)
        finally:
            if self._store is not None:
                self._store.finish(keep=transaction.committed)
        return transaction

    def _read_from_start(self, source: JobSource) -> list[Job]:
        """The jobs of ``source`` that count as read from the start, for a run stopped early."""
        if not isinstance(source, InputWithArguments):
            return []
        return [with_defaults(job, self.options.expect) for job in source.read_from_start()]

    async def _fetch(self, jobs: AsyncIterator[Job], policy: Policy) -> None:
        # A job waiting out a retry backoff holds no request slot (the transport bounds
        # requests itself then), so when jobs may be retried, twice as many jobs may be alive as
        # requests in flight.
        limit = self.options.limit * (2 if self.options.may_retry else 1)
        async with self._open_transport() as transport:
            await Slots(jobs, policy, self.stopper, transport, limit).run()

    def _open_transport(self) -> Transport:
        if self._transport is not None:
            return self._transport(self.options, self._store)
        from fetchall.transport import transport_for  # noqa: PLC0415 (loads aiohttp)

        return transport_for(self.options, self._store)


async def _read_into(listed: list[Job], jobs: AsyncIterator[Job]) -> None:
    async for job in jobs:
        listed.append(job)
