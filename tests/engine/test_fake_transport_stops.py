"""The engine alone, against a fake transport: what a stopped run reports (checks of stopped
jobs, jobs that count as read from the start, a job read at the stop) and how it reads its input.

As in test_fake_transport_runs.py, no socket is opened and no task may outlive a run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from support.fake_transport import Recorded, counts, url
from support.tasks import run_leaving_no_task

from fetchall import ErrorKind, Job, Mode, StopReason, Summary
from fetchall.checks.syntax import parse_check
from fetchall.engine.jobstream import job_stream


def not_judged(*texts: str) -> list[tuple[str, bool, str]]:
    return [(text, False, "not judged: no response") for text in texts]


class TestStoppedJobsWithChecks:
    """A stopped job reports each of its checks as not judged, however far it got."""

    def test_a_job_cancelled_mid_flight(self) -> None:
        """A racer still hanging when another wins."""
        run = Recorded(Mode.FIRST, expect=(parse_check("status=200"),))

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute([url("/hang/0"), url("/gate/w/ok/1")]))
                await run.transport.wait_until(lambda t: t.in_flight == 2)
                run.transport.release("w")
            return task.result()

        run_leaving_no_task(main())
        loser = next(r for r in run.results if r.index == 0)
        assert loser.cancelled
        assert [(c.check, c.ok, c.message) for c in loser.checks or ()] == not_judged("status=200")

    def test_a_job_ending_just_after_the_stop(self) -> None:
        """Two racers released together: the second ends after the first stopped the run, and
        is reported as stopped, with the same checks as one cancelled mid-flight."""
        run = Recorded(Mode.FIRST, expect=(parse_check("status=200"),))

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute([url("/gate/w/ok/0"), url("/gate/w/ok/1")]))
                await run.transport.wait_until(lambda t: t.in_flight == 2)
                run.transport.release("w")
            return task.result()

        summary = run_leaving_no_task(main())
        assert counts(summary) == (1, 0, 1)
        assert run.transport.cancelled == []  # it ended on its own, after the stop
        late = next(r for r in run.results if r.index == 1)
        assert late.cancelled
        assert [(c.check, c.ok, c.message) for c in late.checks or ()] == not_judged("status=200")


class Arguments:
    """An input like the command's: one argument URL never taken, and stdin that never sends
    anything after its first line. It records that the stream it gave was closed."""

    def __init__(self, first: list[str]) -> None:
        self.first = first
        self.closed = False
        self.never = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[Job]:
        try:
            for index, item in enumerate(self.first):
                yield Job(index, item, f"-:{index + 1}")
            await self.never.wait()
        finally:
            self.closed = True

    def read_from_start(self) -> list[Job]:
        return [Job(len(self.first), url("/ok/arg"), "arg")]


class TestReadFromStart:
    def test_streaming_reports_arguments_never_taken(self) -> None:
        """Stopped by --deadline while waiting for input: the running job and the argument URL
        are `deadline` failures, and the engine closed the stream it opened."""
        run = Recorded(Mode.INDEPENDENT, deadline=0.2)

        async def main() -> Summary:
            source = Arguments([url("/hang/0")])
            summary = await run.execute(source)
            assert source.closed
            return summary

        summary = run_leaving_no_task(main())
        assert counts(summary) == (0, 2, 0)
        assert run.kinds() == [ErrorKind.DEADLINE, ErrorKind.DEADLINE]
        assert [r.source for r in sorted(run.results, key=lambda r: r.index)] == ["-:1", "arg"]

    def test_all_or_nothing_reports_arguments_never_taken(self) -> None:
        """``all`` stopped while reading: every job read, and the argument, fail by the deadline;
        nothing was fetched."""
        run = Recorded(Mode.ALL, deadline=0.2)
        summary = run_leaving_no_task(run.execute(Arguments([url("/ok/0")])))
        assert counts(summary) == (0, 2, 0)
        assert run.kinds() == [ErrorKind.DEADLINE, ErrorKind.DEADLINE]
        assert run.transport.started == []

    def test_deadline_runs_before_the_first_job(self) -> None:
        """An input that never sends its first job ends by --deadline, not never."""
        run = Recorded(Mode.INDEPENDENT, deadline=0.2)
        summary = run_leaving_no_task(run.execute(Arguments([])))
        assert counts(summary) == (0, 1, 0)  # the argument URL, read from the start
        assert run.kinds() == [ErrorKind.DEADLINE]
        assert run.transport.started == []

    def test_an_unstopped_run_asks_for_nothing_more(self) -> None:
        """A run that reads its input to the end reports no argument twice."""

        class Finite(Arguments):
            async def __aiter__(self) -> AsyncIterator[Job]:
                yield Job(0, url("/ok/0"), "arg")

            def read_from_start(self) -> list[Job]:
                raise AssertionError("asked for jobs read from the start, but nothing stopped")

        run = Recorded(Mode.INDEPENDENT)
        assert counts(run_leaving_no_task(run.execute(Finite([])))) == (1, 0, 0)


class TestJobStream:
    def test_an_async_iterator_without_aclose(self) -> None:
        """A hand-written async iterator (no ``aclose``) is read like any other."""

        class Countdown:
            def __aiter__(self) -> Ticks:
                return Ticks(3)

        class Ticks:
            def __init__(self, left: int) -> None:
                self.left = left

            def __aiter__(self) -> Ticks:
                return self

            async def __anext__(self) -> str:
                if not self.left:
                    raise StopAsyncIteration
                self.left -= 1
                return url(f"/ok/{self.left}")

        run = Recorded(Mode.INDEPENDENT)
        assert counts(run_leaving_no_task(run.execute(Countdown()))) == (3, 0, 0)
        assert [r.source for r in sorted(run.results, key=lambda r: r.index)] == [
            "item:1",
            "item:2",
            "item:3",
        ]


class TestReadingAtTheStop:
    def test_a_job_read_in_the_instant_of_the_stop_is_reported(self) -> None:
        """The source hands over a job just after the run was told to stop: it is not fetched,
        and it is reported like the job still running, as ``interrupted``."""
        run = Recorded(Mode.INDEPENDENT)

        async def stopping() -> AsyncIterator[str]:
            yield url("/hang/0")
            await run.transport.wait_until(lambda t: t.in_flight == 1)
            run.run.stopper.stop(StopReason.INTERRUPTED)
            yield url("/ok/1")

        summary = run_leaving_no_task(run.execute(stopping()))
        assert counts(summary) == (0, 0, 2)
        assert run.transport.started == [url("/hang/0")]
        assert [r.error.message for r in run.results if r.error] == ["interrupted"] * 2

    def test_all_or_nothing_hands_back_an_input_error_as_itself(self) -> None:
        """An input that breaks while ``all`` reads it: its own exception comes out, not a
        group of exceptions, and nothing was fetched."""
        run = Recorded(Mode.ALL)

        async def broken() -> AsyncIterator[str]:
            yield url("/ok/0")
            raise OSError("the disk went away")

        with pytest.raises(OSError, match="the disk went away"):
            run_leaving_no_task(run.execute(broken()))
        assert run.transport.started == []
        assert run.results == []

    def test_all_or_nothing_with_an_invalid_line_fetches_nothing(self) -> None:
        """An invalid line in ``all``: nothing starts, the valid job is cancelled."""
        run = Recorded(Mode.ALL)
        summary = run_leaving_no_task(run.execute([url("/ok/0"), "not a url"]))
        assert counts(summary) == (0, 1, 1)
        assert run.kinds() == [ErrorKind.CANCELLED, ErrorKind.INVALID_URL]
        assert run.transport.started == []
        assert run.transport.entered == 0

    def test_default_checks_go_first_and_a_line_replaces_its_own(self) -> None:
        """--expect defaults come before a line's checks; a line's check replaces the default
        of the same kind."""
        line = Job(0, url("/ok/0"), "-:1", None, (parse_check("status=404"),))
        defaults = (parse_check("status=200"), parse_check("time<3s"))

        async def first_job() -> Job:
            async with contextlib.aclosing(job_stream([line], defaults=defaults)) as jobs:
                return await anext(jobs)

        job = run_leaving_no_task(first_job())
        assert [check.text for check in job.checks] == ["time<3s", "status=404"]
