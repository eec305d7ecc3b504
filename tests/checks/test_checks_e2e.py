"""Checks written after a URL, judged against a real local server (https included)."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from support.cli import assert_one_line_usage_error, invoke
from support.fault_server import FaultServer


def say(server: FaultServer, text: str, *headers: str, type_: str = "text/plain") -> str:
    query = f"text={quote(text)}&type={quote(type_)}"
    query += "".join(f"&header={quote(h)}" for h in headers)
    return server.url(f"/say?{query}")


def run_lines(tmp_path: Path, lines: list[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    result = invoke(["--format", "json", *args, str(listing)])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["results"]


def checks_of(result: dict[str, object]) -> list[tuple[str, bool, str]]:
    checks = result["checks"]
    assert isinstance(checks, list)
    return [(c["check"], c["ok"], c["message"]) for c in checks]


def error_of(result: dict[str, object]) -> tuple[str, str]:
    error = result["error"]
    assert isinstance(error, dict)
    return error["kind"], error["message"]


def test_a_200_with_the_wrong_page_fails_as_an_expectation(
    server: FaultServer, tmp_path: Path
) -> None:
    page = say(server, "deployment not found")
    status, (result,) = run_lines(tmp_path, [f"{page} status=200 body~Welcome"])
    assert status == 1
    assert error_of(result) == ("expectation", "body~Welcome: not found")
    assert checks_of(result) == [
        ("status=200", True, "got 200"),
        ("body~Welcome", False, "not found"),
    ]


def test_every_key_passes_on_a_good_response(server: FaultServer, tmp_path: Path) -> None:
    doc = json.dumps({"status": "ok", "items": [1, 2], "version": "5"})
    page = say(server, doc, "X-Build: 42", type_="application/json")
    line = (
        f'{page} status=200-299 body~/"items":\\s*\\[/ body!~error header:x-build=42'
        ' header:Content-Type~json json:status=ok json:"length(items)">=2 json:version=5'
        f" time<30s final~/say"
    )
    status, (result,) = run_lines(tmp_path, [line])
    assert status == 0, result
    assert [ok for _, ok, _ in checks_of(result)] == [True] * 10


def test_a_failed_status_check_is_http_status_and_replaces_accept(
    server: FaultServer, tmp_path: Path
) -> None:
    lines = [
        f"{server.url('/status/404')} status=404",
        f"{server.url('/ok')} status=404",
    ]
    status, results = run_lines(tmp_path, lines)
    assert status == 1
    assert results[0]["ok"] is True
    assert error_of(results[1])[0] == "http_status"
    assert checks_of(results[1]) == [("status=404", False, "got 200")]


def test_json_and_header_failures_name_what_was_seen(server: FaultServer, tmp_path: Path) -> None:
    page = say(server, '{"status": "degraded"}', type_="application/json")
    status, (result,) = run_lines(tmp_path, [f"{page} json:status=ok header:X-Missing=1"])
    assert status == 1
    kind, message = error_of(result)
    assert kind == "expectation"
    assert message == 'json:status=ok: got "degraded"; header:X-Missing=1: no such header'


def test_time_check_on_a_slow_page(server: FaultServer, tmp_path: Path) -> None:
    status, (result,) = run_lines(tmp_path, [f"{server.url('/delay/300')} time<100ms"])
    assert status == 1
    ((check, ok, message),) = checks_of(result)
    assert (check, ok) == ("time<100ms", False)
    assert message.startswith("took ")


def test_final_url_after_a_redirect(server: FaultServer, tmp_path: Path) -> None:
    lines = [
        f"{server.url('/redirect/2')} final={server.url('/ok')}",
        f"{server.url('/redirect/1')} final~/elsewhere",
    ]
    status, results = run_lines(tmp_path, lines)
    assert status == 1
    assert results[0]["ok"] is True
    assert error_of(results[1]) == (
        "expectation",
        f'final~/elsewhere: got "{server.url("/ok")}"',
    )


def test_expect_gives_defaults_that_a_line_replaces(server: FaultServer, tmp_path: Path) -> None:
    lines = [say(server, "hello"), f"{say(server, 'bye')} body~bye"]
    status, results = run_lines(tmp_path, lines, "--expect", "body~hello", "--expect", "time<30s")
    assert status == 0, results
    assert [c for c, _, _ in checks_of(results[0])] == ["body~hello", "time<30s"]
    assert [c for c, _, _ in checks_of(results[1])] == ["time<30s", "body~bye"]


def test_expect_from_the_environment_and_for_argument_urls(server: FaultServer) -> None:
    result = invoke(
        ["--format", "jsonl", say(server, "hello")], FETCHALL_EXPECT="body~hello\nstatus=200"
    )
    assert result.exit_code == 0, result.output
    assert [c["check"] for c in json.loads(result.stdout)["checks"]] == ["body~hello", "status=200"]


def test_a_malformed_expect_is_a_usage_error_before_any_request(server: FaultServer) -> None:
    result = invoke(["--expect", "json:[=1", server.url("/ok")])
    assert_one_line_usage_error(result, "--expect", "json:[=1")
    assert server.total_requests == 0


def test_bad_tokens_make_their_line_invalid_and_the_others_run(
    server: FaultServer, tmp_path: Path
) -> None:
    lines = [
        f"{server.url('/ok')} colour=red",
        f"{server.url('/ok')} body=x",
        f"{server.url('/ok')} body~/(/",
        f"{server.url('/ok')} time<soon",
        f'{server.url("/ok")} body~"open',
        f"{server.url('/ok')} status=200",
    ]
    status, results = run_lines(tmp_path, lines)
    assert status == 1
    kinds = [r["error"]["kind"] if r["error"] else "ok" for r in results]  # type: ignore[index]
    assert kinds == ["invalid_url"] * 5 + ["ok"]
    for number, token in enumerate(["colour=red", "body=x", "body~/(/", "time<soon", 'body~"open']):
        message = error_of(results[number])[1]
        assert f"urls.txt:{number + 1} " in message
        assert token in message
    assert server.total_requests == 1


def test_retries_never_retry_an_expectation(server: FaultServer, tmp_path: Path) -> None:
    page = say(server, "nope")
    status, (result,) = run_lines(tmp_path, [f"{page} body~yes"], "--retries", "3")
    assert (status, result["attempts"]) == (1, 1)
    assert server.total_requests == 1


def test_wait_retries_an_expectation_until_it_passes(server: FaultServer, tmp_path: Path) -> None:
    url = server.url("/flaky/body?n=2&status=200")  # "flaky 200" twice, then "ok"
    status, (result,) = run_lines(
        tmp_path, [f"{url} body~ok"], "--wait", "30s", "--retry-backoff", "0.01"
    )
    assert status == 0
    assert result["attempts"] == 3


def test_a_job_without_response_lists_its_checks_unjudged(tmp_path: Path) -> None:
    status, (result,) = run_lines(tmp_path, [f"{FaultServer.refused_url()} body~x"])
    assert status == 1
    assert checks_of(result) == [("body~x", False, "not judged: no response")]


def test_jobs_without_checks_have_null_checks(server: FaultServer, tmp_path: Path) -> None:
    _, (result,) = run_lines(tmp_path, [server.url("/ok")])
    assert result["checks"] is None


# -------------------------------------------------------------------------- certificates


class ExpiringTLS:
    """An https FaultServer whose certificate expires ``days`` from now."""

    def __init__(self, directory: Path, days: int) -> None:
        ca = trustme.CA()
        self.cacert = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.cacert))
        self.expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days, hours=12)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", not_after=self.expires).configure_cert(context)
        self.server = FaultServer(ssl_context=context).start()


@pytest.fixture(name="expiring")
def _expiring(tmp_path: Path) -> Iterator[ExpiringTLS]:
    tls = ExpiringTLS(tmp_path, days=9)
    yield tls
    tls.server.stop()


def test_cert_check_reads_the_days_left(expiring: ExpiringTLS, tmp_path: Path) -> None:
    url = expiring.server.url("/ok")
    lines = [f"{url}?a=1 cert>=14", f"{url}?a=2 cert>=5"]
    status, results = run_lines(tmp_path, lines, "--cacert", str(expiring.cacert))
    assert status == 1
    date = expiring.expires.date().isoformat()
    assert error_of(results[0]) == ("expectation", f"cert>=14: expires in 9 days, {date}")
    assert results[1]["ok"] is True


def test_cert_check_on_a_reused_connection(expiring: ExpiringTLS, tmp_path: Path) -> None:
    url = expiring.server.url("/ok")
    lines = [f"{url}?n={i} cert>=5" for i in range(4)]
    status, results = run_lines(tmp_path, lines, "--cacert", str(expiring.cacert), "--limit", "1")
    assert status == 0, results
    assert expiring.server.total_requests == 4
    assert expiring.server.connections == 1  # one kept-alive connection served all four
    assert all(checks_of(r)[0][1] for r in results)


def test_cert_check_fails_without_verification_and_on_http(
    expiring: ExpiringTLS, server: FaultServer, tmp_path: Path
) -> None:
    _, (insecure,) = run_lines(tmp_path, [f"{expiring.server.url('/ok')} cert>=1"], "--insecure")
    assert checks_of(insecure) == [
        ("cert>=1", False, "the certificate was not verified (--insecure)")
    ]
    _, (plain,) = run_lines(tmp_path, [f"{server.url('/ok')} cert>=1"])
    assert checks_of(plain) == [("cert>=1", False, "an http URL has no certificate")]


def test_expectation_groups_split_by_first_failed_check(
    server: FaultServer, tmp_path: Path
) -> None:
    lines = [
        f"{say(server, 'a')} body~Welcome",
        f"{say(server, 'b')} body~Welcome",
        f"{say(server, 'c')} body~Welcome time<30s",
        f"{say(server, 'Welcome')} body~Welcome header:X-None=1 body!~Welcome",
        server.url("/status/404"),
    ]
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    text = invoke(["-q", str(listing)])
    assert text.exit_code == 1
    assert "  expectation body~Welcome (3)\n" in text.stdout
    assert "  expectation header:X-None=1 (1)\n" in text.stdout
    assert "  http_status 404 (1)\n" in text.stdout
    document = json.loads(invoke(["--format", "json", str(listing)]).stdout)
    groups = {(g["kind"], g["status"], g["check"]): g["count"] for g in document["errors"]}
    assert groups == {
        ("expectation", None, "body~Welcome"): 3,
        ("expectation", None, "header:X-None=1"): 1,
        ("http_status", 404, None): 1,
    }
