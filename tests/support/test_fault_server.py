"""Tests of the FaultServer test helper itself.

Other tests trust these endpoints and counters to judge fetchall, so each one
is pinned here with plain ``http.client`` (which neither follows redirects nor
hides broken framing) and, where the client's view matters, with aiohttp.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import aiohttp
import pytest

from support.fault_server import FaultServer

Response = tuple[int, dict[str, str], bytes]


def _request(
    server: FaultServer,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> Response:
    """One request on a fresh connection: (status, headers, body), no redirects."""
    conn = http.client.HTTPConnection(host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def _in_thread(
    server: FaultServer, path: str, results: list[Response], host: str = "127.0.0.1"
) -> threading.Thread:
    """Start ``_request`` in a thread that appends its response to ``results``."""
    thread = threading.Thread(
        target=lambda: results.append(_request(server, path, host=host)), daemon=True
    )
    thread.start()
    return thread


# ---------------------------------------------------------------------- basics


def test_ok_answers_and_is_counted(server: FaultServer) -> None:
    status, headers, body = _request(server, "/ok")
    assert (status, body) == (200, b"ok\n")
    assert headers["content-type"].startswith("text/plain")
    assert headers["content-length"] == "3"
    assert server.hits["/ok"] == 1
    assert server.total_requests == 1
    assert server.completed == 1
    assert server.disconnects == 0
    assert server.in_flight == 0
    assert server.max_in_flight == 1
    assert server.in_flight_by_host == {}
    assert server.max_in_flight_by_host == {"127.0.0.1": 1}


def test_urls_point_at_the_server(server: FaultServer) -> None:
    assert server.base == f"http://127.0.0.1:{server.port}"
    assert server.url("/ok") == f"http://127.0.0.1:{server.port}/ok"
    assert server.url("ok") == f"http://127.0.0.1:{server.port}/ok"
    assert server.url_localhost("/ok") == f"http://localhost:{server.port}/ok"
    with urllib.request.urlopen(server.url("/ok"), timeout=10) as resp:
        assert resp.read() == b"ok\n"
    with urllib.request.urlopen(server.url_localhost("/ok"), timeout=10) as resp:
        assert resp.read() == b"ok\n"
    assert server.hits["/ok"] == 2
    assert server.max_in_flight_by_host == {"127.0.0.1": 1, "localhost": 1}


def test_head_and_other_methods(server: FaultServer) -> None:
    status, headers, body = _request(server, "/ok", method="HEAD")
    assert (status, body, headers["content-length"]) == (200, b"", "3")
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        assert _request(server, "/echo-method", method=method)[::2] == (200, method.encode())
    assert _request(server, "/echo-method", method="HEAD")[::2] == (200, b"")
    assert server.hits["/echo-method"] == 6


def test_hits_count_the_path_with_and_without_query(server: FaultServer) -> None:
    _request(server, "/ok?a=1")
    _request(server, "/ok?a=1")
    _request(server, "/ok?b=2")
    _request(server, "/ok")
    assert server.hits == {"/ok": 4, "/ok?a=1": 2, "/ok?b=2": 1}
    assert server.hits["/never"] == 0
    assert server.total_requests == 4


def test_request_log_records_each_request(server: FaultServer) -> None:
    before = time.monotonic()
    _request(server, "/ok?x=1", headers={"X-Probe": "one"})
    _request(server, "/echo-method", method="POST")
    log = server.request_log
    assert [(method, path) for _, method, path, _ in log] == [
        ("GET", "/ok?x=1"),
        ("POST", "/echo-method"),
    ]
    assert before <= log[0][0] <= log[1][0] <= time.monotonic()
    assert log[0][3]["X-Probe"] == "one"
    assert log[0][3]["Host"] == f"127.0.0.1:{server.port}"


def test_count_is_the_request_number(server: FaultServer) -> None:
    _request(server, "/ok")
    _request(server, "/ok")
    assert _request(server, "/count")[2] == b"3"
    assert _request(server, "/count")[2] == b"4"


def test_headers_echoes_request_headers_as_json(server: FaultServer) -> None:
    status, headers, body = _request(
        server, "/headers", headers={"X-Test": "abc", "User-Agent": "probe/1"}
    )
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    echoed = json.loads(body)
    assert echoed["X-Test"] == "abc"
    assert echoed["User-Agent"] == "probe/1"
    assert echoed["Host"] == f"127.0.0.1:{server.port}"


# ---------------------------------------------------------------------- bodies


def test_bytes_sends_exactly_n_bytes(server: FaultServer) -> None:
    status, headers, body = _request(server, "/bytes/0")
    assert (status, headers["content-length"], body) == (200, "0", b"")
    n = 3 * 65536 + 123
    status, headers, body = _request(server, f"/bytes/{n}")
    assert status == 200
    assert headers["content-length"] == str(n)
    assert headers["content-type"] == "application/octet-stream"
    assert len(body) == n
    assert body[:4] == b"\x00\x01\x02\x03"
    assert body[256:260] == b"\x00\x01\x02\x03"
    assert body == (bytes(range(256)) * (n // 256 + 1))[:n]


def test_bytes_head_announces_a_gibibyte_without_sending_it(server: FaultServer) -> None:
    status, headers, body = _request(server, f"/bytes/{1 << 30}", method="HEAD")
    assert (status, headers["content-length"], body) == (200, str(1 << 30), b"")


def test_bytes_streams_so_a_client_can_stop_early(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", f"/bytes/{1 << 30}")
    resp = conn.getresponse()
    assert resp.getheader("Content-Length") == str(1 << 30)
    assert len(resp.read(1 << 20)) == 1 << 20
    conn.close()
    server.wait_until(lambda s: s.disconnects == 1)
    assert server.completed == 0
    assert server.in_flight == 0


def test_bad_parameters_answer_400(server: FaultServer) -> None:
    for path in (
        "/bytes/x",
        "/bytes/-1",
        "/status/99",
        "/status/600",
        "/status/abc",
        "/delay/x",
        "/redirect-to",
        "/trickle?bytes=x",
        "/trickle?interval=-1",
        "/flaky/k?n=x",
    ):
        assert _request(server, path)[0] == 400, path
    assert _request(server, "/nope")[0] == 404
    assert server.completed == 11


@pytest.mark.parametrize("code", [200, 201, 204, 304, 404, 418, 429, 500, 503, 599])
def test_status_answers_that_status(server: FaultServer, code: int) -> None:
    status, _, body = _request(server, f"/status/{code}")
    assert status == code
    assert body == (b"" if code in (204, 304) else f"status {code}\n".encode())
    assert server.hits[f"/status/{code}"] == 1


# ---------------------------------------------------------------------- time


@pytest.mark.parametrize("prefix", ["/delay", "/slow-headers"])
def test_delay_waits_before_answering(server: FaultServer, prefix: str) -> None:
    start = time.monotonic()
    status, _, body = _request(server, f"{prefix}/250")
    elapsed = time.monotonic() - start
    assert (status, body) == (200, b"ok\n")
    assert 0.25 <= elapsed < 5


def test_trickle_sends_headers_first_then_a_byte_per_interval(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    start = time.monotonic()
    conn.request("GET", "/trickle?bytes=5&interval=0.1")
    resp = conn.getresponse()
    headers_at = time.monotonic() - start
    assert resp.status == 200
    assert resp.getheader("Content-Length") == "5"
    body = resp.read()
    body_at = time.monotonic() - start
    conn.close()
    assert body == b"....."
    assert headers_at < 0.3
    assert body_at >= 0.5
    # The last byte can reach us just before the streaming handler returns.
    server.wait_until(lambda s: s.completed == 1)
    assert server.disconnects == 0


def test_trickle_client_leaving_counts_as_disconnect(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/trickle?bytes=1000&interval=0.05")
    resp = conn.getresponse()
    assert resp.read(2) == b".."
    conn.close()
    resp.close()
    server.wait_until(lambda s: s.disconnects == 1)
    assert (server.completed, server.in_flight) == (0, 0)


def test_hang_never_answers_and_counts_the_disconnect(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/hang")
    server.wait_until(lambda s: s.in_flight == 1)
    assert server.in_flight_by_host == {"127.0.0.1": 1}
    time.sleep(0.2)
    assert (server.in_flight, server.completed, server.disconnects) == (1, 0, 0)
    conn.close()
    server.wait_until(lambda s: s.disconnects == 1)
    assert (server.in_flight, server.completed) == (0, 0)
    assert server.in_flight_by_host == {}


# ---------------------------------------------------------------------- redirects


def test_redirect_chain_has_exactly_n_relative_hops(server: FaultServer) -> None:
    status, headers, _ = _request(server, "/redirect/3")
    assert (status, headers["location"]) == (302, "/redirect/2")
    assert _request(server, "/redirect/2")[1]["location"] == "/redirect/1"
    assert _request(server, "/redirect/1")[1]["location"] == "/ok"
    assert _request(server, "/redirect/0")[::2] == (200, b"ok\n")
    server.reset()
    with urllib.request.urlopen(server.url("/redirect/3"), timeout=10) as resp:
        assert (resp.status, resp.read(), resp.url) == (200, b"ok\n", server.url("/ok"))
    assert server.hits == {"/redirect/3": 1, "/redirect/2": 1, "/redirect/1": 1, "/ok": 1}


def test_redirect_loop_points_at_itself(server: FaultServer) -> None:
    status, headers, _ = _request(server, "/redirect-loop")
    assert (status, headers["location"]) == (302, "/redirect-loop")


def test_redirect_to_passes_the_target_through(server: FaultServer) -> None:
    target = server.url_localhost("/ok?x=1")
    path = "/redirect-to?" + urllib.parse.urlencode({"url": target})
    status, headers, _ = _request(server, path)
    assert (status, headers["location"]) == (302, target)
    status, headers, _ = _request(server, path + "&status=307")
    assert (status, headers["location"]) == (307, target)
    assert _request(server, path + "&status=200")[0] == 400


# ---------------------------------------------------------------------- broken exchanges


def test_reset_breaks_the_connection_mid_body(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/reset")

    def read_all() -> bytes:
        return conn.getresponse().read()

    # The RST can overtake the head in the client's buffer, so either call may fail.
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        read_all()
    conn.close()
    server.wait_until(lambda s: s.completed == 1)
    assert server.disconnects == 0


def test_close_early_sends_10_of_1000_bytes(server: FaultServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/close-early")
    resp = conn.getresponse()
    assert resp.getheader("Content-Length") == "1000"
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert info.value.partial == b"0123456789"
    conn.close()


@pytest.mark.parametrize(
    ("path", "line"),
    [("/malformed", "HTTP/1.1 abc def\r\n"), ("/garbage", "this is not http\r\n")],
)
def test_raw_non_http_answers(server: FaultServer, path: str, line: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path)
    with pytest.raises(http.client.BadStatusLine) as info:
        conn.getresponse()
    assert info.value.args == (line,)
    conn.close()
    server.wait_until(lambda s: s.in_flight == 0)
    assert (server.completed, server.disconnects) == (1, 0)


def test_refused_url_refuses(server: FaultServer) -> None:
    url = server.refused_url("/x")
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/x")
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(url, timeout=5)
    assert isinstance(info.value.reason, ConnectionRefusedError)
    assert server.total_requests == 0


# ---------------------------------------------------------------------- per-key state


def test_retry_after_fails_n_times_then_succeeds(server: FaultServer) -> None:
    answers = [_request(server, "/retry-after/a?n=2&after=3") for _ in range(3)]
    assert [a[0] for a in answers] == [503, 503, 200]
    assert [a[1].get("retry-after") for a in answers] == ["3", "3", None]
    assert answers[2][2] == b"ok\n"
    assert server.key_hits == {"a": 3}


def test_retry_after_passes_an_http_date_verbatim(server: FaultServer) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    path = "/retry-after/d?" + urllib.parse.urlencode({"after": date})
    status, headers, _ = _request(server, path)
    assert (status, headers["retry-after"]) == (503, date)
    assert _request(server, path)[0] == 200


def test_flaky_fails_n_times_with_the_given_status(server: FaultServer) -> None:
    assert [_request(server, "/flaky/f?n=2&status=502")[0] for _ in range(3)] == [502, 502, 200]
    assert [_request(server, "/flaky/g")[0] for _ in range(2)] == [503, 200]
    assert [_request(server, "/flaky/h?n=0")[0] for _ in range(1)] == [200]
    assert server.key_hits == {"f": 3, "g": 2, "h": 1}


# ---------------------------------------------------------------------- gates


def test_gate_holds_requests_until_released(server: FaultServer) -> None:
    results: list[Response] = []
    threads = [_in_thread(server, "/gate/g", results) for _ in range(3)]
    server.wait_for_arrivals("g", 3, timeout=10)
    assert (server.in_flight, server.max_in_flight) == (3, 3)
    assert server.gate("g").waiting == 3
    time.sleep(0.1)
    assert results == []
    server.release("g")
    for thread in threads:
        thread.join(10)
    assert [r[::2] for r in results] == [(200, b"gate g open\n")] * 3
    assert (server.in_flight, server.max_in_flight, server.completed) == (0, 3, 3)
    assert server.gate("g").arrivals == 3
    assert server.gate("g").waiting == 0


def test_released_gate_lets_requests_straight_through(server: FaultServer) -> None:
    server.gate("open").release()
    assert server.gate("open").released is True
    assert _request(server, "/gate/open")[::2] == (200, b"gate open open\n")


def test_gates_are_independent(server: FaultServer) -> None:
    results: list[Response] = []
    a = _in_thread(server, "/gate/a", results)
    b = _in_thread(server, "/gate/b", results)
    server.wait_for_arrivals("a", 1)
    server.wait_for_arrivals("b", 1)
    server.release("b")
    b.join(10)
    assert [r[2] for r in results] == [b"gate b open\n"]
    assert server.in_flight == 1
    server.release("a")
    a.join(10)
    assert [r[2] for r in results] == [b"gate b open\n", b"gate a open\n"]


def test_wait_for_arrivals_times_out_with_assertion(server: FaultServer) -> None:
    with pytest.raises(AssertionError, match="gate 'nobody': 0 request"):
        server.wait_for_arrivals("nobody", 1, timeout=0.1)


def test_in_flight_is_tracked_per_host(server: FaultServer) -> None:
    results: list[Response] = []
    threads = [
        _in_thread(server, "/gate/h", results, host="127.0.0.1"),
        _in_thread(server, "/gate/h", results, host="localhost"),
        _in_thread(server, "/gate/h", results, host="localhost"),
    ]
    server.wait_for_arrivals("h", 3)
    assert server.in_flight_by_host == {"127.0.0.1": 1, "localhost": 2}
    server.release("h")
    for thread in threads:
        thread.join(10)
    assert server.max_in_flight_by_host == {"127.0.0.1": 1, "localhost": 2}
    assert server.in_flight_by_host == {}
    assert len(results) == 3


# ---------------------------------------------------------------------- waiting, reset


def test_wait_until_times_out_with_the_counters(server: FaultServer) -> None:
    _request(server, "/ok")
    with pytest.raises(AssertionError, match="'total_requests': 1"):
        server.wait_until(lambda s: s.total_requests == 2, timeout=0.1)


def test_reset_clears_everything(server: FaultServer) -> None:
    _request(server, "/ok?q=1")
    _request(server, "/flaky/r")
    server.gate("x").release()
    server.reset()
    assert server.snapshot() == {
        "total_requests": 0,
        "in_flight": 0,
        "max_in_flight": 0,
        "in_flight_by_host": {},
        "max_in_flight_by_host": {},
        "disconnects": 0,
        "completed": 0,
        "hits": {},
        "key_hits": {},
    }
    assert server.request_log == []
    assert server.gate("x").released is False
    assert _request(server, "/flaky/r")[0] == 503
    assert _request(server, "/count")[2] == b"2"


def test_reset_releases_held_requests_without_skewing_counters(server: FaultServer) -> None:
    results: list[Response] = []
    thread = _in_thread(server, "/gate/old", results)
    server.wait_for_arrivals("old", 1)
    server.reset()
    thread.join(10)
    assert [r[::2] for r in results] == [(200, b"gate old open\n")]
    # The handler began before the reset, so it must not touch the new counters.
    assert (server.in_flight, server.completed, server.total_requests) == (0, 0, 0)


# ---------------------------------------------------------------------- aiohttp client


def test_async_client_concurrency_and_redirects(server: FaultServer) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as session:

            async def fetch(url: str) -> tuple[int, bytes]:
                async with session.get(url) as resp:
                    return resp.status, await resp.read()

            tasks = [asyncio.create_task(fetch(server.url("/gate/async"))) for _ in range(5)]
            # Blocking waits run in a thread so this loop keeps sending requests.
            await asyncio.to_thread(server.wait_for_arrivals, "async", 5)
            server.release("async")
            assert await asyncio.gather(*tasks) == [(200, b"gate async open\n")] * 5

            async with session.get(server.url("/redirect/2")) as resp:
                assert (resp.status, len(resp.history)) == (200, 2)
                assert str(resp.url) == server.url("/ok")
            with pytest.raises(aiohttp.TooManyRedirects):
                await session.get(server.url("/redirect-loop"), max_redirects=4)

    asyncio.run(main())
    assert server.max_in_flight == 5
    # aiohttp's max_redirects=N gives up on the Nth redirect response.
    assert server.hits["/redirect-loop"] == 4
    assert server.hits["/gate/async"] == 5


def test_async_client_timeout_on_hang_is_a_disconnect(server: FaultServer) -> None:
    async def main() -> None:
        timeout = aiohttp.ClientTimeout(total=0.3)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(asyncio.TimeoutError):
                await session.get(server.url("/hang"))

    asyncio.run(main())
    server.wait_until(lambda s: s.disconnects == 1)
    assert (server.in_flight, server.completed) == (0, 0)


def test_async_client_sees_broken_exchanges_as_errors(server: FaultServer) -> None:
    async def outcome(path: str) -> type[BaseException] | None:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.get(server.url(path)) as resp:
                    await resp.read()
            except aiohttp.ClientError as exc:
                return type(exc)
        return None

    async def main() -> dict[str, type[BaseException] | None]:
        paths = ["/reset", "/close-early", "/malformed", "/garbage", "/ok"]
        return {p: await outcome(p) for p in paths}

    results = asyncio.run(main())
    assert results["/ok"] is None
    assert results["/close-early"] is aiohttp.ClientPayloadError
    assert results["/reset"] is not None
    assert issubclass(results["/reset"], (aiohttp.ClientPayloadError, aiohttp.ClientOSError))
    assert results["/malformed"] is not None
    assert issubclass(results["/malformed"], aiohttp.ClientResponseError)
    assert results["/garbage"] is not None
    assert issubclass(results["/garbage"], aiohttp.ClientResponseError)


# ---------------------------------------------------------------------- life cycle


def test_stop_is_clean_with_requests_still_running() -> None:
    threads_before = set(threading.enumerate())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        own = FaultServer(shutdown_timeout=0.2)
        with pytest.raises(RuntimeError):
            own.url("/ok")
        with own:
            port = own.port
            with pytest.raises(RuntimeError, match="already started"):
                own.start()
            hang = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            hang.request("GET", "/hang")
            results: list[Response] = []
            gated = _in_thread(own, "/gate/stop", results)
            own.wait_for_arrivals("stop", 1)
            own.wait_until(lambda s: s.in_flight == 2)
            start = time.monotonic()
        assert time.monotonic() - start < 5
        gated.join(10)
        assert [r[0] for r in results] == [200]
        assert own.disconnects == 1
        hang.close()
        with pytest.raises(ConnectionRefusedError):
            http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/ok")
        own.stop()  # a second stop is a no-op
    new_threads = set(threading.enumerate()) - threads_before
    assert not [t for t in new_threads if t.name == "FaultServer"]
