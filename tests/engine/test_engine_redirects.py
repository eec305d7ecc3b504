"""Redirects through the engine, against a real local server: --max-redirects N follows N
hops, and a loop ends as too_many_redirects."""

from __future__ import annotations

import pytest
from support.fault_server import FaultServer
from support.tasks import run_leaving_no_task as run

import fetchall
from fetchall import ErrorKind


class TestRedirects:
    @pytest.mark.parametrize(("hops", "limit", "ok"), [(3, 3, True), (4, 3, False), (1, 1, True)])
    def test_max_redirects_follows_exactly_n(
        self, server: FaultServer, hops: int, limit: int, ok: bool
    ) -> None:
        """--max-redirects N follows N hops; one more fails with too_many_redirects."""
        report = run(fetchall.fetch_all([server.url(f"/redirect/{hops}")], max_redirects=limit))
        result = report.results[0]
        assert result.ok is ok
        if not ok:
            assert result.error is not None
            assert result.error.kind is ErrorKind.TOO_MANY_REDIRECTS

    def test_zero_redirects_judges_the_redirect_itself(self, server: FaultServer) -> None:
        """With --max-redirects 0 the 302 is the final response, judged by --accept."""
        url = server.url("/redirect/1")
        plain = run(fetchall.fetch_all([url], max_redirects=0)).results[0]
        assert (plain.ok, plain.status) == (False, 302)
        accepted = run(
            fetchall.fetch_all(
                [url], max_redirects=0, accept=fetchall.AcceptedStatuses.parse("200-399")
            )
        ).results[0]
        assert (accepted.ok, accepted.status) == (True, 302)

    def test_redirect_loop(self, server: FaultServer) -> None:
        """A redirect loop ends as too_many_redirects after N+1 requests."""
        result = run(fetchall.fetch_all([server.url("/redirect-loop")], max_redirects=5)).results[0]
        assert result.error is not None
        assert result.error.kind is ErrorKind.TOO_MANY_REDIRECTS
        assert server.hits["/redirect-loop"] == 6
