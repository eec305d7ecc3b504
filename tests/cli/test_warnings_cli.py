"""Warnings end to end: ``warn:`` checks and ``--warn-on`` against a real local server, through
the command (in-process and as a real process), with the exit status and every output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import assert_one_line_usage_error, invoke, run_process
from support.fault_server import FaultServer


def listing(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "urls.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run_json(*args: str, **env: str | None) -> tuple[int, dict[str, Any]]:
    result = invoke(["--format", "json", *args], **env)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


class TestWarnChecks:
    """A failed ``warn:`` check makes a success with a warning."""

    def test_a_slow_page_warns_and_the_run_passes(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/delay/50')} warn:time<1ms time<30s")
        code, document = run_json(urls)
        assert code == 0
        (result,) = document["results"]
        assert (result["ok"], result["error"], result["status"]) == (True, None, 200)
        (warning,) = result["warnings"]
        assert warning["kind"] == "expectation"
        assert warning["check"] == "warn:time<1ms"
        assert warning["message"].startswith("warn:time<1ms: took ")
        assert [(c["check"], c["ok"]) for c in result["checks"]] == [
            ("warn:time<1ms", False),
            ("time<30s", True),
        ]
        assert document["summary"] == {**document["summary"], "ok": 1, "failed": 0, "warnings": 1}

    def test_warn_and_plain_checks_of_one_key_and_op_both_apply(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/delay/50')} warn:time<1ms time<2ms")
        code, document = run_json(urls)
        (result,) = document["results"]
        assert code == 1
        assert result["error"]["kind"] == "expectation"
        assert result["error"]["message"].startswith("time<2ms: took ")
        # A failed job's failed warn: checks show in its checks only.
        assert result["warnings"] is None
        assert result["checks"][0]["ok"] is False
        assert document["errors"][0]["check"] == "time<2ms"

    def test_a_lines_warn_check_replaces_the_expect_warn_check(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(
            tmp_path,
            f"{server.url('/ok')} warn:body~ok",
            f"{server.url('/ok?b')}",
        )
        code, document = run_json("--expect", "warn:body~Welcome", urls)
        first, second = document["results"]
        assert code == 0
        assert [c["check"] for c in first["checks"]] == ["warn:body~ok"]
        assert first["warnings"] is None
        assert [w["check"] for w in second["warnings"]] == ["warn:body~Welcome"]
        assert document["summary"]["warnings"] == 1

    def test_warn_status_does_not_replace_accept(self, server: FaultServer, tmp_path: Path) -> None:
        urls = listing(
            tmp_path,
            f"{server.url('/status/404')} warn:status=404",
            f"{server.url('/status/204')} warn:status=200",
        )
        code, document = run_json(urls)
        missing, empty = document["results"]
        assert code == 1
        assert missing["error"]["kind"] == "http_status"
        assert missing["warnings"] is None
        assert empty["ok"] is True
        assert empty["warnings"] == [
            {
                "kind": "http_status",
                "check": "warn:status=200",
                "message": "warn:status=200: got 204",
            }
        ]

    def test_strict_makes_warn_checks_plain(self, server: FaultServer, tmp_path: Path) -> None:
        urls = listing(tmp_path, f"{server.url('/status/204')} warn:status=200 warn:body~x")
        code, document = run_json("--strict", urls)
        (result,) = document["results"]
        assert code == 1
        # A plain status check replaces --accept, so under --strict 204 fails it.
        assert result["error"] == {"kind": "http_status", "message": "HTTP 204 No Content"}
        assert result["warnings"] is None

    def test_a_bad_warn_token_on_a_line_is_that_lines_invalid_url(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/ok')} warn:nope=1", server.url("/ok?b"))
        code, document = run_json(urls)
        bad, good = document["results"]
        assert code == 1
        assert bad["error"]["kind"] == "invalid_url"
        assert "urls.txt:1" in bad["error"]["message"]
        assert "warn:nope=1" in bad["error"]["message"]
        assert good["ok"] is True
        assert server.hits["/ok"] == 1


class TestWarnOn:
    """``--warn-on`` turns a final failure of the named kinds into a warning."""

    def test_a_timeout_after_retries_warns(self, server: FaultServer) -> None:
        args = [
            "--warn-on",
            "timeout",
            "--timeout",
            "0.2",
            "--retries",
            "2",
            "--retry-backoff",
            "0",
        ]
        code, document = run_json(*args, server.url("/hang"))
        (result,) = document["results"]
        assert code == 0
        assert result["ok"] is True
        assert result["attempts"] == 3
        assert server.hits["/hang"] == 3  # retried first: only the final failure warns
        assert result["warnings"] == [
            {"kind": "timeout", "check": None, "message": "timed out after 0.2 s"}
        ]

    def test_statuses_and_ranges_stand_for_http_status(self, server: FaultServer) -> None:
        urls = [server.url(f"/status/{code}") for code in (429, 503, 404)]
        code, document = run_json("--warn-on", "429,500-599", *urls)
        busy, down, missing = document["results"]
        assert code == 1
        assert (busy["ok"], busy["status"], busy["warnings"][0]["kind"]) == (
            True,
            429,
            "http_status",
        )
        assert down["warnings"][0]["message"] == "HTTP 503 Service Unavailable"
        assert missing["error"]["kind"] == "http_status"
        assert [(g["kind"], g["status"]) for g in document["warnings"]] == [
            ("http_status", 429),
            ("http_status", 503),
        ]

    def test_with_wait_the_job_is_tried_until_the_wait_is_spent(self, server: FaultServer) -> None:
        args = ["--warn-on", "503", "--wait", "0.4s", "--retry-backoff", "0.05"]
        code, document = run_json(*args, server.url("/status/503"))
        (result,) = document["results"]
        assert code == 0
        assert result["attempts"] >= 2
        assert server.hits["/status/503"] == result["attempts"]
        assert result["warnings"][0]["message"] == "HTTP 503 Service Unavailable"

    def test_a_job_that_recovers_under_wait_has_no_warning(self, server: FaultServer) -> None:
        args = ["--warn-on", "503", "--wait", "5s", "--retry-backoff", "0.01"]
        code, document = run_json(*args, server.url("/flaky/warn-recover?n=2"))
        (result,) = document["results"]
        assert code == 0
        assert (result["attempts"], result["warnings"]) == (3, None)

    def test_expectation_warns_with_checks_as_judged_and_no_body_saved(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/ok')} body~Welcome")
        saved = tmp_path / "saved"
        code, document = run_json("--warn-on", "expectation", "--save", str(saved), urls)
        (result,) = document["results"]
        assert code == 0
        assert result["warnings"] == [
            {"kind": "expectation", "check": None, "message": "body~Welcome: not found"}
        ]
        assert result["checks"] == [{"check": "body~Welcome", "ok": False, "message": "not found"}]
        assert result["saved_to"] is None

    def test_strict_ignores_warn_on(self, server: FaultServer) -> None:
        code, document = run_json("--warn-on", "429", "--strict", server.url("/status/429"))
        assert code == 1
        assert document["results"][0]["error"]["kind"] == "http_status"
        assert document["summary"]["warnings"] == 0

    def test_the_environment_variable_sets_it(self, server: FaultServer) -> None:
        code, document = run_json(server.url("/status/429"), FETCHALL_WARN_ON="429")
        assert code == 0
        assert document["summary"]["warnings"] == 1

    @pytest.mark.parametrize(
        ("spec", "mention"),
        [
            ("nope", "'nope' is not an error kind or status"),
            ("invalid_url", "invalid_url cannot be warned on"),
            ("cancelled", "cancelled cannot be warned on"),
            ("deadline", "deadline cannot be warned on"),
            ("500-", "'500-' is not a status code or range"),
        ],
    )
    def test_bad_lists_are_one_line_usage_errors_and_nothing_is_fetched(
        self, server: FaultServer, spec: str, mention: str
    ) -> None:
        for extra in ([], ["--strict"]):
            result = invoke(["--warn-on", spec, *extra, server.url("/ok")])
            assert_one_line_usage_error(result, "--warn-on", mention)
        assert server.total_requests == 0

    def test_a_bad_expect_warn_is_a_usage_error(self, server: FaultServer) -> None:
        result = invoke(["--expect", "warn:", server.url("/ok")])
        assert_one_line_usage_error(result, "--expect", "warn: must be followed by a check")
        assert server.total_requests == 0


class TestModes:
    """A warned job is a success for its mode."""

    def test_all_does_not_abort_on_a_warning(self, server: FaultServer) -> None:
        urls = [server.url("/status/429"), server.url("/ok"), server.url("/ok?b")]
        code, document = run_json("--mode", "all", "--warn-on", "429", *urls)
        assert code == 0
        assert document["summary"] == {**document["summary"], "ok": 3, "cancelled": 0}
        assert server.hits["/ok"] == 2

    def test_first_can_be_won_by_a_warned_job(self, server: FaultServer) -> None:
        code, document = run_json("--mode", "first", "--warn-on", "429", server.url("/status/429"))
        assert code == 0
        assert document["summary"]["warnings"] == 1


class TestOutputs:
    """What a warned run prints, in text and github, and leaves in GITHUB_OUTPUT."""

    def test_text_shows_warn_lines_under_quiet(self, server: FaultServer) -> None:
        result = invoke(["-q", "--warn-on", "429", server.url("/status/429"), server.url("/ok")])
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0] == f"WARN  429  HTTP 429 Too Many Requests  {server.url('/status/429')}"
        assert lines[1:4] == [
            "warnings:",
            "  http_status 429 (1)",
            f"    {server.url('/status/429')}",
        ]
        assert lines[4].startswith("2 ok (1 with warnings), 0 failed, 0 cancelled in ")

    def test_github_annotations_and_outputs(self, server: FaultServer, tmp_path: Path) -> None:
        outputs = tmp_path / "outputs"
        urls = listing(tmp_path, server.url("/status/429"), server.url("/status/404"))
        result = invoke(
            ["--format", "github", "--warn-on", "429", urls],
            GITHUB_OUTPUT=str(outputs),
            GITHUB_WORKSPACE=str(tmp_path),
        )
        assert result.exit_code == 1
        annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
        assert annotations == [
            "::warning file=urls.txt,line=1,title=fetchall 429::HTTP 429 Too Many Requests "
            + server.url("/status/429"),
            "::error file=urls.txt,line=2,title=fetchall 404::HTTP 404 Not Found "
            + server.url("/status/404"),
        ]
        assert outputs.read_text().splitlines() == [
            "ok=1",
            "failed=1",
            "cancelled=0",
            "total=2",
            "warnings=1",
        ]

    def test_merge_keeps_warnings_whatever_strict_says(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        report = tmp_path / "shard.jsonl"
        first = invoke(["--format", "jsonl", "--warn-on", "429", server.url("/status/429")])
        report.write_text(first.stdout, encoding="utf-8")
        merged = invoke(["--merge", "--strict", "--format", "json", str(report)])
        assert merged.exit_code == 0
        document = json.loads(merged.stdout)
        assert document["summary"]["warnings"] == 1
        assert document["results"][0]["warnings"][0]["kind"] == "http_status"

    def test_a_real_process_exits_0_with_a_warning(self, server: FaultServer) -> None:
        completed = run_process(["--warn-on", "timeout", "--timeout", "0.2", server.url("/hang")])
        assert completed.returncode == 0
        assert completed.stdout.startswith("WARN  timeout  timed out after 0.2 s  ")
        assert "1 ok (1 with warnings), 0 failed, 0 cancelled" in completed.stdout


class TestSaving:
    """A body is saved only for a job whose checks pass, warned by --warn-on or not."""

    @pytest.mark.parametrize("extra", [[], ["--warn-on", "expectation"]])
    def test_a_body_whose_checks_fail_leaves_no_file(
        self, server: FaultServer, tmp_path: Path, extra: list[str]
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/ok')} body~Welcome")
        saved = tmp_path / "saved"
        code, document = run_json("--save", str(saved), *extra, urls)
        assert document["results"][0]["saved_to"] is None
        assert code == (0 if extra else 1)
        assert [p for p in saved.rglob("*") if p.is_file()] == []

    def test_a_body_that_passes_with_a_warning_is_saved(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        urls = listing(tmp_path, f"{server.url('/ok')} body~ok warn:body~Welcome")
        saved = tmp_path / "saved"
        code, document = run_json("--save", str(saved), urls)
        (result,) = document["results"]
        assert code == 0
        assert result["warnings"][0]["check"] == "warn:body~Welcome"
        assert Path(result["saved_to"]).read_bytes() == b"ok\n"
