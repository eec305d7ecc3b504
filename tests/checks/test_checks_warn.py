"""``warn:`` checks: any check, prefixed, warns instead of failing its job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fetchall.checks import (
    CheckKey,
    CheckSyntaxError,
    Observed,
    failure_kind,
    failure_message,
    judge,
    merge_checks,
    parse_check,
    plan_of,
    split_line,
)
from fetchall.models import ErrorKind, JobWarning
from fetchall.statuses import AcceptedStatuses
from fetchall.transport.judging import warnings_of

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SLOW = Observed(status=200, final_url="https://example.com/", elapsed=1.21, body=b"Welcome")


class TestParsing:
    """``warn:`` goes before any check, and is part of its text."""

    def test_a_warn_check_keeps_its_key_op_value_and_its_whole_text(self) -> None:
        check = parse_check("warn:time<800ms")
        assert (check.key, check.op.value, check.value) == (CheckKey.TIME, "<", "800ms")
        assert check.text == "warn:time<800ms"
        assert check.warn is True
        assert parse_check("time<800ms").warn is False

    def test_on_a_line_warn_and_plain_checks_mix(self) -> None:
        url, checks = split_line("https://x/  warn:time<800ms time<3s  warn:cert>=30 cert>=7")
        assert url == "https://x/"
        assert [(c.text, c.warn) for c in checks] == [
            ("warn:time<800ms", True),
            ("time<3s", False),
            ("warn:cert>=30", True),
            ("cert>=7", False),
        ]

    def test_every_key_takes_warn(self) -> None:
        for text in (
            "warn:status=200",
            "warn:body~Welcome",
            'warn:header:x-a="b c"',
            "warn:json:status=ok",
            "warn:final~/new",
        ):
            assert parse_check(text).warn, text

    @pytest.mark.parametrize(
        ("token", "reason"),
        [
            ("warn:", "warn: must be followed by a check: missing key"),
            ("warn:nope=1", "warn: must be followed by a check: unknown key 'nope'"),
            ("warn:warn:time<1s", "warn: must be followed by a check: unknown key 'warn'"),
            ("warn:time=1s", "time takes < or <=, not ="),
        ],
    )
    def test_warn_before_something_that_is_not_a_check_does_not_parse(
        self, token: str, reason: str
    ) -> None:
        with pytest.raises(CheckSyntaxError) as caught:
            parse_check(token)
        assert caught.value.token.startswith(token.split("=", maxsplit=1)[0])
        assert reason in caught.value.reason

    def test_a_bad_warn_on_a_line_names_the_whole_token(self) -> None:
        with pytest.raises(CheckSyntaxError) as caught:
            split_line("https://x/ status=200 warn:nope~1")
        assert caught.value.token == "warn:nope~1"


class TestMerging:
    """A ``warn:`` check is apart from the plain check of the same key and op."""

    def test_warn_and_plain_of_the_same_key_and_op_both_apply(self) -> None:
        defaults = (parse_check("time<3s"),)
        own = (parse_check("warn:time<3s"),)
        assert [c.text for c in merge_checks(defaults, own)] == ["time<3s", "warn:time<3s"]
        assert [c.text for c in merge_checks(own, defaults)] == ["warn:time<3s", "time<3s"]

    def test_a_lines_warn_check_replaces_an_expect_warn_check_of_the_same_key_and_op(
        self,
    ) -> None:
        defaults = (parse_check("warn:time<800ms"), parse_check("warn:cert>=30"))
        own = (parse_check("warn:time<2s"),)
        assert [c.text for c in merge_checks(defaults, own)] == ["warn:cert>=30", "warn:time<2s"]

    def test_header_names_in_any_case_in_the_warn_tier_too(self) -> None:
        defaults = (parse_check("warn:header:X-Frame-Options=DENY"),)
        own = (parse_check("warn:header:x-frame-options=SAMEORIGIN"),)
        assert merge_checks(defaults, own) == own


class TestVerdict:
    """A failed ``warn:`` check gives a warning, never a failure (unless strict)."""

    def test_a_failed_warn_check_does_not_fail_the_job_and_warns(self) -> None:
        checks = [parse_check("warn:time<800ms"), parse_check("time<3s")]
        outcomes = judge(checks, SLOW, NOW)
        assert [(o.check, o.ok, o.warn) for o in outcomes] == [
            ("warn:time<800ms", False, True),
            ("time<3s", True, False),
        ]
        assert failure_kind(outcomes) is None
        assert failure_message(outcomes) == ""
        assert warnings_of(outcomes) == (
            JobWarning(ErrorKind.EXPECTATION, "warn:time<800ms", "warn:time<800ms: took 1.21 s"),
        )

    def test_a_warn_status_check_warns_as_http_status(self) -> None:
        outcomes = judge([parse_check("warn:status=201"), parse_check("body~Nope")], SLOW, NOW)
        assert failure_kind(outcomes) == "expectation"
        assert failure_message(outcomes) == "body~Nope: not found"
        assert warnings_of(outcomes) == (
            JobWarning(ErrorKind.HTTP_STATUS, "warn:status=201", "warn:status=201: got 200"),
        )

    def test_passing_warn_checks_give_no_warnings(self) -> None:
        assert warnings_of(judge([parse_check("warn:time<2s")], SLOW, NOW)) is None

    def test_strict_judges_warn_checks_as_plain_checks(self) -> None:
        outcomes = judge([parse_check("warn:time<800ms")], SLOW, NOW, strict=True)
        assert [(o.ok, o.warn) for o in outcomes] == [(False, False)]
        assert failure_kind(outcomes) == "expectation"
        assert failure_message(outcomes) == "warn:time<800ms: took 1.21 s"
        assert warnings_of(outcomes) is None

    def test_warn_status_does_not_replace_accept_unless_strict(self) -> None:
        checks = (parse_check("warn:status=200"), parse_check("body~x"))
        assert plan_of(checks).statuses == ()
        assert plan_of(checks).accepts(204, AcceptedStatuses())
        strict = plan_of(checks, strict=True)
        assert strict.statuses == (AcceptedStatuses(((200, 200),)),)
        assert not strict.accepts(204, AcceptedStatuses())
        assert plan_of(checks) is plan_of(checks)  # each kept apart, by the tuple
