"""The engine against a real local server: limits, the three modes, cancellation.

Each test drives the library API inside ``asyncio.run`` and checks what the server itself
counted (requests in flight, disconnects), so that "cancelled" means the server saw the
connection go, not merely that a result says so.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from support.fault_server import FaultServer
from support.tasks import run_leaving_no_task as run

import fetchall
from fetchall import ErrorKind, Mode, Options, Result


def in_thread(action: Callable[[], None]) -> threading.Thread:
    """Do a blocking server-side wait-and-act while the engine runs on this thread's loop."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def by_index(report: fetchall.Report) -> list[Result]:
    return sorted(report.results, key=lambda r: r.index)


class TestLimit:
    def test_limit_is_reached_and_never_exceeded(self, server: FaultServer) -> None:
        """With --limit 5 and 20 held requests, the server sees exactly 5 at once, never 6."""
        urls = [server.url("/gate/limit") for _ in range(20)]

        def release_when_full() -> None:
            server.wait_for_arrivals("limit", 5)
            server.release("limit")

        helper = in_thread(release_when_full)
        report = run(fetchall.fetch_all(urls, limit=5))
        helper.join(5)
        assert report.summary.ok == 20
        assert server.max_in_flight == 5
        assert server.total_requests == 20

    def test_a_task_is_created_only_when_a_slot_is_free(self, server: FaultServer) -> None:
        """While 3 requests hang under --limit 3, the input is read no further than one job."""
        pulled: list[int] = []

        async def urls() -> Any:
            for i in range(1000):
                pulled.append(i)
                yield server.url("/gate/slots")

        async def main() -> fetchall.Report:
            async def release() -> None:
                await asyncio.to_thread(server.wait_for_arrivals, "slots", 3)
                # No job is read before a slot is free for it.
                assert len(pulled) == 3
                server.release("slots")

            async with asyncio.TaskGroup() as group:
                group.create_task(release())
                task = group.create_task(fetchall.fetch_all(urls(), limit=3))
            return task.result()

        report = run(main())
        assert report.summary.ok == 1000
        assert server.max_in_flight == 3

    def test_per_host_bounds_each_host(self, server: FaultServer) -> None:
        """--per-host 2 holds each of two hosts to 2 in flight while --limit allows 10."""
        urls = [server.url("/gate/hosts") for _ in range(6)]
        urls += [server.url_localhost("/gate/hosts") for _ in range(6)]

        def release_when_full() -> None:
            server.wait_for_arrivals("hosts", 4)
            server.release("hosts")

        helper = in_thread(release_when_full)
        report = run(fetchall.fetch_all(urls, limit=10, per_host=2))
        helper.join(5)
        assert report.summary.ok == 12
        assert server.max_in_flight_by_host == {"127.0.0.1": 2, "localhost": 2}


class TestIndependent:
    def test_failures_are_grouped_by_kind(self, server: FaultServer) -> None:
        """Every job runs; failures are grouped by kind and, for http_status, by status."""
        urls = [
            server.url("/ok"),
            server.url("/status/404"),
            server.url("/status/404"),
            server.url("/status/500"),
            server.refused_url(),
            "ftp://example.invalid/x",
            server.url("/redirect/2"),
        ]
        report = run(fetchall.fetch_all(urls, limit=4))
        assert (report.summary.ok, report.summary.failed, report.summary.cancelled) == (2, 5, 0)
        groups = {(g.kind, g.status): g.count for g in report.errors}
        assert groups == {
            (ErrorKind.HTTP_STATUS, 404): 2,
            (ErrorKind.HTTP_STATUS, 500): 1,
            (ErrorKind.CONNECT, None): 1,
            (ErrorKind.INVALID_URL, None): 1,
        }
        redirected = by_index(report)[6]
        assert redirected.ok
        assert redirected.final_url == server.url("/ok")
        assert [r.index for r in report.results] == list(range(7))

    def test_results_stream_as_they_complete(self, server: FaultServer) -> None:
        """stream() hands over the fast result while the slow one is still held."""

        async def main() -> list[str]:
            seen: list[str] = []
            urls = [server.url("/gate/stream"), server.url("/ok")]
            async with fetchall.stream(urls) as results:
                async for result in results:
                    seen.append(result.url)
                    if len(seen) == 1:
                        server.release("stream")
            return seen

        assert run(main()) == [server.url("/ok"), server.url("/gate/stream")]

    def test_leaving_stream_early_cancels_the_rest(self, server: FaultServer) -> None:
        """Breaking out of stream() closes every connection still open."""

        async def main() -> Result:
            urls = [server.url("/ok")] + [server.url("/hang") for _ in range(4)]
            async with fetchall.stream(urls, limit=5) as results:
                async for result in results:
                    await asyncio.to_thread(server.wait_until, lambda s: s.in_flight == 4)
                    return result
            raise AssertionError("no result")

        first = run(main())
        assert first.ok
        server.wait_until(lambda s: s.disconnects == 4 and s.in_flight == 0)

    def test_max_failures_stops_the_run(self, server: FaultServer) -> None:
        """After --max-failures 1, running jobs are cancelled and the input is read no further."""
        urls = [server.url("/hang") for _ in range(3)] + [server.url("/gate/mf?status=500")]
        urls += [server.url("/ok") for _ in range(100)]

        def fail_when_all_arrived() -> None:
            server.wait_until(lambda s: s.in_flight == 4)
            server.release("mf")

        helper = in_thread(fail_when_all_arrived)
        report = run(fetchall.fetch_all(urls, limit=4, max_failures=1))
        helper.join(5)
        summary = report.summary
        assert (summary.ok, summary.failed, summary.cancelled) == (0, 1, 3)
        assert [r.index for r in report.results] == [0, 1, 2, 3]
        server.wait_until(lambda s: s.disconnects == 3 and s.in_flight == 0)
        assert server.hits["/ok"] == 0


class TestAllOrNothing:
    def test_first_failure_cancels_siblings(self, server: FaultServer) -> None:
        """One failure cancels the hanging siblings, which the server sees disconnect."""
        urls = [server.url("/ok")] + [server.url("/hang") for _ in range(4)]
        urls.append(server.url("/gate/fail?status=500"))

        def fail_when_all_arrived() -> None:
            server.wait_until(lambda s: s.in_flight == 5 and s.hits["/ok"] == 1)
            server.release("fail")

        helper = in_thread(fail_when_all_arrived)
        report = run(fetchall.fetch_all(urls, mode="all", limit=10))
        helper.join(5)
        results = by_index(report)
        assert [r.error.kind if r.error else None for r in results] == [
            ErrorKind.CANCELLED,
            *[ErrorKind.CANCELLED] * 4,
            ErrorKind.HTTP_STATUS,
        ]
        assert not any(r.ok for r in results)  # the /ok that completed does not leak out
        assert results[0].error is not None
        assert results[0].error.message == "a sibling failed"
        assert (report.summary.ok, report.summary.failed, report.summary.cancelled) == (0, 1, 5)
        server.wait_until(lambda s: s.disconnects == 4 and s.in_flight == 0)

    def test_invalid_line_means_nothing_is_fetched(self, server: FaultServer) -> None:
        """An invalid line anywhere in the input: no request is sent at all."""
        urls = [server.url("/ok"), server.url("/ok"), "not a url"]
        report = run(fetchall.fetch_all(urls, mode=Mode.ALL))
        assert server.total_requests == 0
        assert [r.error.kind if r.error else None for r in by_index(report)] == [
            ErrorKind.CANCELLED,
            ErrorKind.CANCELLED,
            ErrorKind.INVALID_URL,
        ]

    def test_success_reports_every_job_in_input_order(self, server: FaultServer) -> None:
        """When every job succeeds, results come in input order."""
        order: list[int] = []
        urls = [server.url(f"/delay/{ms}") for ms in (60, 0, 30)]
        summary = run(
            fetchall.Run(Mode.ALL, Options(), lambda r: order.append(r.index)).execute(
                fetchall.Job(i, url, "arg") for i, url in enumerate(urls)
            )
        )
        assert order == [0, 1, 2]
        assert summary.succeeded


class TestFirstSuccess:
    def test_winner_cancels_losers(self, server: FaultServer) -> None:
        """The first success wins; the server sees every loser's connection close."""
        urls = [server.url("/hang") for _ in range(3)] + [server.url("/gate/win")]

        def win_when_all_arrived() -> None:
            server.wait_for_arrivals("win", 1)
            server.wait_until(lambda s: s.in_flight == 4)
            server.release("win")

        helper = in_thread(win_when_all_arrived)
        report = run(fetchall.fetch_all(urls, mode="first"))
        helper.join(5)
        winners = [r for r in report.results if r.ok]
        assert [w.index for w in winners] == [3]
        assert report.summary.cancelled == 3
        assert report.summary.succeeded
        server.wait_until(lambda s: s.disconnects == 3 and s.in_flight == 0)

    def test_input_is_not_read_past_the_winner(self, server: FaultServer) -> None:
        """With --limit 1 the first URL wins and no later URL is reported or requested."""
        urls = [server.url("/ok")] + [server.url("/status/500") for _ in range(50)]
        report = run(fetchall.fetch_all(urls, mode="first", limit=1))
        assert report.summary.total == 1
        assert server.total_requests == 1

    def test_every_job_failing_is_a_failure(self, server: FaultServer) -> None:
        """When every job fails, nothing succeeded and each failure is reported."""
        urls = [server.url("/status/500"), server.refused_url()]
        report = run(fetchall.fetch_all(urls, mode="first"))
        assert not report.summary.succeeded
        assert report.summary.failed == 2
        assert {(g.kind, g.status) for g in report.errors} == {
            (ErrorKind.HTTP_STATUS, 500),
            (ErrorKind.CONNECT, None),
        }

    def test_stagger_starts_racers_one_after_another(self, server: FaultServer) -> None:
        """With a long --stagger, a fast first racer wins before the second one starts."""
        urls = [server.url("/delay/10"), server.url("/ok")]
        report = run(fetchall.fetch_all(urls, mode="first", stagger=30))
        assert [r.index for r in report.results if r.ok] == [0]
        assert server.total_requests == 1

    def test_stagger_moves_on_when_a_racer_fails(self, server: FaultServer) -> None:
        """A racer that fails does not make the next one wait out the stagger."""
        urls = [server.url("/status/500"), server.url("/ok")]
        report = run(fetchall.fetch_all(urls, mode="first", stagger=30, deadline=20))
        assert [r.index for r in report.results if r.ok] == [1]


class TestDeadline:
    def test_deadline_fails_what_is_still_running(self, server: FaultServer) -> None:
        """--deadline turns the jobs still running into `deadline` failures."""
        urls = [server.url("/ok"), server.url("/hang"), server.url("/hang")]
        # Generous: the deadline must find the /ok done and both /hang arrived.
        report = run(fetchall.fetch_all(urls, deadline=3))
        kinds = [r.error.kind if r.error else None for r in by_index(report)]
        assert kinds == [None, ErrorKind.DEADLINE, ErrorKind.DEADLINE]
        assert report.summary.failed == 2
        server.wait_until(lambda s: s.disconnects == 2 and s.in_flight == 0)
