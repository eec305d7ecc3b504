"""The engine alone, against a fake transport: the three modes, stops, the slots, stagger.

No socket is opened: each fetch does what its URL's path says (tests/support/fake_transport.py),
and waits at gates the test opens once the engine is where the test wants it. Every run goes
through ``run_leaving_no_task``, so a task left alive after ``execute`` returns fails the test.
"""

from __future__ import annotations

import asyncio

from support.fake_transport import WAIT, CountedSource, Recorded, counts, url
from support.tasks import run_leaving_no_task

from fetchall import ErrorKind, Mode, Summary


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
