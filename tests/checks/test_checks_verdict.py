"""What a job's checks mean for fetching (body, cert, status) and for its error (kind, message)."""

from __future__ import annotations

import fetchall.checks
from fetchall.checks import (
    CheckKey,
    CheckOutcome,
    failure_kind,
    failure_message,
    needs_body,
    needs_cert,
    parse_check,
    plan_of,
)
from fetchall.statuses import AcceptedStatuses


def _checks(*texts: str) -> tuple[fetchall.checks.Check, ...]:
    return tuple(parse_check(text) for text in texts)


def _outcome(check: str, ok: bool, message: str = "seen") -> CheckOutcome:
    return CheckOutcome(check, ok, message, parse_check(check).key)


class TestWhatToKeep:
    """The engine keeps the body only for body and json checks, and reads the cert for cert."""

    def test_needs_body(self) -> None:
        """``body`` and ``json`` checks need the body; the others do not."""
        assert needs_body(_checks("status=200", "body~a"))
        assert needs_body(_checks("json:a=1"))
        assert not needs_body(_checks("status=200", "header:a=1", "time<1s", "cert>=1", "final~x"))
        assert not needs_body([])

    def test_needs_cert(self) -> None:
        """Only ``cert`` checks need the certificate."""
        assert needs_cert(_checks("time<1s", "cert>=14"))
        assert not needs_cert(_checks("body~a", "json:a=1"))


class TestStatusAccepted:
    """A ``status`` check replaces ``--accept`` for its job."""

    def test_without_status_check_accept_decides(self) -> None:
        """With no ``status`` check the run's accepted set decides."""
        accept = AcceptedStatuses.parse("200-299,304")
        assert plan_of(_checks("body~a")).accepts(304, accept)
        assert not plan_of(()).accepts(404, accept)

    def test_status_check_replaces_accept(self) -> None:
        """``status=404`` accepts 404 and no longer 200."""
        checks = _checks("status=404")
        assert plan_of(checks).accepts(404, AcceptedStatuses())
        assert not plan_of(checks).accepts(200, AcceptedStatuses())

    def test_every_status_check_must_hold(self) -> None:
        """Two ``status`` checks both apply: the status must be in each."""
        checks = _checks("status=200-299", "status=204,404")
        assert plan_of(checks).accepts(204, AcceptedStatuses())
        assert not plan_of(checks).accepts(200, AcceptedStatuses())
        assert not plan_of(checks).accepts(404, AcceptedStatuses())


class TestFailure:
    """A failed ``status`` check is ``http_status``; any other failed check is ``expectation``."""

    def test_all_passed(self) -> None:
        """No failed check: no kind, an empty message, no first failure."""
        outcomes = [_outcome("status=200", True), _outcome("body~a", True)]
        assert failure_kind(outcomes) is None
        assert failure_message(outcomes) == ""

    def test_expectation(self) -> None:
        """Failed non-status checks give ``expectation`` and a message naming each one."""
        outcomes = [
            CheckOutcome("status=200", True, "got 200", CheckKey.STATUS),
            CheckOutcome("body~Welcome", False, "not found", CheckKey.BODY),
            CheckOutcome("cert>=14", True, "expires in 80 days, 2027-02-20", CheckKey.CERT),
            CheckOutcome("time<800ms", False, "took 1.21 s", CheckKey.TIME),
            CheckOutcome("json:status=ok", False, 'got "degraded"', CheckKey.JSON),
        ]
        assert failure_kind(outcomes) == "expectation"
        assert failure_message(outcomes) == (
            'body~Welcome: not found; time<800ms: took 1.21 s; json:status=ok: got "degraded"'
        )

    def test_status_failure_wins_wherever_it_is(self) -> None:
        """A failed status check makes the kind ``http_status`` even after other failures."""
        outcomes = [
            CheckOutcome("body~Welcome", False, "not found", CheckKey.BODY),
            CheckOutcome("status=200", False, "got 503", CheckKey.STATUS),
        ]
        assert failure_kind(outcomes) == "http_status"
        assert failure_message(outcomes) == "body~Welcome: not found; status=200: got 503"

    def test_accepts_any_iterable(self) -> None:
        """Generators work as well as tuples."""
        assert failure_kind(_outcome(text, False) for text in ["header:a=1"]) == "expectation"


def test_public_names() -> None:
    """``fetchall.checks.__all__`` is sorted (constants, classes, functions) and complete."""
    names = fetchall.checks.__all__
    assert names == sorted(names, key=lambda name: (not name.isupper(), name.islower(), name))
    assert set(names) == {
        "Check",
        "CheckKey",
        "CheckOutcome",
        "CheckPlan",
        "CheckSyntaxError",
        "FailureKind",
        "Observed",
        "Op",
        "failure_kind",
        "failure_message",
        "judge",
        "merge_checks",
        "needs_body",
        "needs_cert",
        "needs_headers",
        "parse_check",
        "parse_duration",
        "plan_of",
        "render_check",
        "split_line",
    }
    assert all(hasattr(fetchall.checks, name) for name in names)
