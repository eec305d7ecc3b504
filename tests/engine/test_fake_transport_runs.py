"""The engine alone, against a fake transport: the modes, the slots, stops, what is read.

No socket is opened: each fetch does what its URL's path says (tests/support/fake_transport.py),
and waits at gates the test opens once the engine is where the test wants it. Every run goes
through ``run_leaving_no_task``, so a task left alive after ``execute`` returns fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from support.fake_transport import WAIT, FakeTransport, url
from support.tasks import run_leaving_no_task

from fetchall import ErrorKind, Job, Mode, Options, Result, Run, StopReason, Summary
from fetchall.checks.syntax import parse_check
from fetchall.engine.jobstream import JobSource, job_stream


class Recorded:
    """A run against a fresh fake transport, and every result it emitted, in order."""

    def __init__(self, mode: Mode, **options: Any) -> None:
        self.transport = FakeTransport()
        self.results: list[Result] = []
        self.run = Run(
            mode, Options(**options), self.results.append, transport=self.transport.factory
        )

    async def execute(self, jobs: JobSource) -> Summary:
        return await self.run.execute(jobs)

    def kinds(self) -> list[ErrorKind | None]:
        """Each result's error kind (None for a success), by input order."""
        ordered = sorted(self.results, key=lambda r: r.index)
        return [r.error.kind if r.error else None for r in ordered]


def counts(summary: Summary) -> tuple[int, int, int]:
    return summary.ok, summary.failed, summary.cancelled


class CountedSource:
    """An async source of URLs that counts how many it handed over."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.urls = list(urls)
        self.yielded = 0

    async def __aiter__(self) -> AsyncIterator[str]:
        for item in self.urls:
            self.yielded += 1
            yield item


class TestModes:
    def test_independent_collects_every_outcome(self) -> None:
        """Every job runs and is reported once: 2 successes, 2 failures, none cancelled."""
        run = Recorded(Mode.INDEPENDENT)
        urls = [url("/ok/0"), url("/fail/1"), url("/ok/2"), url("/fail/3")]
        summary = run_leaving_no_task(run.execute(urls))
        assert counts(summary) == (2, 2, 0)
        assert run.kinds() == [None, ErrorKind.CONNECT, None, ErrorKind.CONNECT]
        assert sorted(run.transport.started) == sorted(urls)
        assert run.transport.cancelled == []
        assert (run.transport.entered, run.transport.exited) == (1, 1)

    def test_all_cancels_the_rest_and_discards_successes(self) -> None:
        """One failure in ``all``: the two hanging fetches are cancelled, the success that came
        before is reported cancelled, every message says a sibling failed."""
        run = Recorded(Mode.ALL)
        urls = [url("/ok/0"), url("/gate/f/fail/1"), url("/hang/2"), url("/hang/3")]

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute(urls))
                await run.transport.wait_until(lambda t: len(t.started) == 4 and t.in_flight == 3)
                run.transport.release("f")
            return task.result()

        summary = run_leaving_no_task(main())
        assert counts(summary) == (0, 1, 3)
        assert run.kinds() == [ErrorKind.CANCELLED, ErrorKind.CONNECT] + [ErrorKind.CANCELLED] * 2
        assert [r.index for r in run.results] == [0, 1, 2, 3]  # held, then in input order
        messages = [r.error.message for r in run.results if r.error and r.index != 1]
        assert messages == ["a sibling failed"] * 3
        assert sorted(run.transport.cancelled) == [url("/hang/2"), url("/hang/3")]

    def test_all_with_every_success_reports_each(self) -> None:
        """``all`` with no failure reports every success, in input order."""
        run = Recorded(Mode.ALL, limit=2)
        summary = run_leaving_no_task(run.execute([url(f"/ok/{i}") for i in range(5)]))
        assert counts(summary) == (5, 0, 0)
        assert [r.index for r in run.results] == [0, 1, 2, 3, 4]

    def test_first_cancels_the_losers(self) -> None:
        """The one success wins; both hanging racers are cancelled and reported so."""
        run = Recorded(Mode.FIRST)
        urls = [url("/hang/0"), url("/hang/1"), url("/gate/win/ok/2")]

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute(urls))
                await run.transport.wait_until(lambda t: t.in_flight == 3)
                run.transport.release("win")
            return task.result()

        summary = run_leaving_no_task(main())
        assert counts(summary) == (1, 0, 2)
        assert run.kinds() == [ErrorKind.CANCELLED, ErrorKind.CANCELLED, None]
        assert sorted(run.transport.cancelled) == [url("/hang/0"), url("/hang/1")]
        assert {r.error.message for r in run.results if r.error} == {"another job succeeded first"}


class TestStops:
    def test_max_failures_stops_and_reads_no_more(self) -> None:
        """--max-failures 1 under --limit 3: the failure stops the run, the two hanging jobs are
        cancelled, and of 53 URLs the source handed over exactly the 3 that started."""
        source = CountedSource(
            [url("/gate/f/fail/0"), url("/hang/1"), url("/hang/2")]
            + [url(f"/ok/{i}") for i in range(3, 53)]
        )
        run = Recorded(Mode.INDEPENDENT, limit=3, max_failures=1)

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute(source))
                await run.transport.wait_until(lambda t: t.in_flight == 3)
                assert source.yielded == 3
                run.transport.release("f")
            return task.result()

        summary = run_leaving_no_task(main())
        assert counts(summary) == (0, 1, 2)
        assert source.yielded == 3
        assert len(run.transport.started) == 3
        assert {r.error.message for r in run.results if r.cancelled} == {"--max-failures reached"}

    def test_first_winner_with_limit_one_reads_no_further(self) -> None:
        """``first`` under --limit 1: the first URL wins, and the source hands over no other."""
        source = CountedSource([url(f"/ok/{i}") for i in range(50)])
        run = Recorded(Mode.FIRST, limit=1)
        summary = run_leaving_no_task(run.execute(source))
        assert counts(summary) == (1, 0, 0)
        assert source.yielded == 1

    def test_deadline_fails_what_runs_and_what_waits(self) -> None:
        """--deadline: the hanging fetch is a `deadline` failure; the success stays a success."""
        run = Recorded(Mode.INDEPENDENT, deadline=0.2)
        summary = run_leaving_no_task(run.execute([url("/ok/0"), url("/hang/1")]))
        assert counts(summary) == (1, 1, 0)
        assert run.kinds() == [None, ErrorKind.DEADLINE]
        assert run.transport.cancelled == [url("/hang/1")]

    def test_cancelled_from_outside_reports_interrupted(self) -> None:
        """Cancelling the task that awaits ``execute`` reports the running job `interrupted`."""
        run = Recorded(Mode.INDEPENDENT)

        async def main() -> bool:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute([url("/hang/0")]))
                await run.transport.wait_until(lambda t: t.in_flight == 1)
                task.cancel()
            return task.cancelled()

        assert run_leaving_no_task(main())
        assert [(r.error.kind, r.error.message) for r in run.results if r.error] == [
            (ErrorKind.CANCELLED, "interrupted")
        ]


class TestSlots:
    def test_never_more_than_limit_in_flight_nor_read(self) -> None:
        """20 gated jobs under --limit 5: exactly 5 in flight and 5 read while held, never 6."""
        source = CountedSource([url(f"/gate/g/ok/{i}") for i in range(20)])
        run = Recorded(Mode.INDEPENDENT, limit=5)

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute(source))
                await run.transport.wait_until(lambda t: t.in_flight == 5)
                await asyncio.sleep(0)  # one more turn: a sixth would have started by now
                assert (source.yielded, run.transport.in_flight) == (5, 5)
                run.transport.release("g")
            return task.result()

        summary = run_leaving_no_task(main())
        assert counts(summary) == (20, 0, 0)
        assert run.transport.max_in_flight == 5

    def test_retries_double_the_slots(self) -> None:
        """With retries possible, twice --limit jobs may be alive (one may wait out a backoff)."""
        run = Recorded(Mode.INDEPENDENT, limit=2, retries=1)

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute([url(f"/gate/g/ok/{i}") for i in range(9)]))
                await run.transport.wait_until(lambda t: t.in_flight == 4)
                run.transport.release("g")
            return task.result()

        assert counts(run_leaving_no_task(main())) == (9, 0, 0)
        assert run.transport.max_in_flight == 4

    def test_a_short_input_starts_one_slot_per_job(self) -> None:
        """Two jobs under --limit 10 start two fetches, both of which are reported."""
        run = Recorded(Mode.INDEPENDENT, limit=10)
        summary = run_leaving_no_task(run.execute(iter([url("/ok/0"), url("/ok/1")])))
        assert counts(summary) == (2, 0, 0)
        assert run.transport.started == [url("/ok/0"), url("/ok/1")]


class TestStagger:
    def test_a_slow_racer_is_followed_after_the_stagger(self) -> None:
        """The first racer hangs: the second starts once the stagger is over, and wins."""
        run = Recorded(Mode.FIRST, stagger=0.2)
        summary = run_leaving_no_task(run.execute([url("/hang/0"), url("/ok/1")]))
        assert counts(summary) == (1, 0, 1)
        assert run.transport.started == [url("/hang/0"), url("/ok/1")]
        assert run.kinds() == [ErrorKind.CANCELLED, None]

    def test_the_next_racer_waits_for_the_stagger(self) -> None:
        """While the first racer is held, the second has not started: the stagger is 30 s."""
        run = Recorded(Mode.FIRST, stagger=30)

        async def main() -> Summary:
            async with asyncio.TaskGroup() as group:
                task = group.create_task(run.execute([url("/gate/a/ok/0"), url("/ok/1")]))
                await run.transport.wait_until(lambda t: t.in_flight == 1)
                await asyncio.sleep(0.05)
                assert run.transport.started == [url("/gate/a/ok/0")]
                run.transport.release("a")
            return task.result()

        assert counts(run_leaving_no_task(main())) == (1, 0, 0)
        assert run.transport.started == [url("/gate/a/ok/0")]

    def test_a_failed_racer_lets_the_next_start_at_once(self) -> None:
        """A failing racer ends the stagger's wait: the second starts long before 30 s."""
        run = Recorded(Mode.FIRST, stagger=30, deadline=WAIT)
        summary = run_leaving_no_task(run.execute([url("/fail/0"), url("/fail/1"), url("/ok/2")]))
        assert counts(summary) == (1, 2, 0)
        assert run.transport.started == [url("/fail/0"), url("/fail/1"), url("/ok/2")]
        assert summary.elapsed_s < WAIT


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
