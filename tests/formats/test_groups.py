"""Error groups: the key every format groups failures by, and what a group keeps."""

from __future__ import annotations

import dataclasses

from support.results import make_result

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.formats.groups import ErrorGroups, first_failed_check
from fetchall.models import ErrorKind


class TestErrorGroups:
    """Failures grouped by kind, and by status for http_status."""

    def test_labels_and_details(self) -> None:
        """A group's detail is its status (empty for other kinds); its label is the kind
        followed by the detail, as the text report and the markdown table show it."""
        groups = ErrorGroups()
        groups.add(make_result("https://a/", status=404, error=(ErrorKind.HTTP_STATUS, "HTTP 404")))
        groups.add(make_result("https://b/", status=None, error=(ErrorKind.TIMEOUT, "slow")))
        assert [(g.label, g.detail) for g in groups.groups()] == [
            ("http_status 404", "404"),
            ("timeout", ""),
        ]

    def test_results_kept_only_on_request(self) -> None:
        """With keep_results the listed failures themselves are kept, as many as their URLs;
        without it, none are."""
        failures = [
            make_result(f"https://a/{i}", i, status=None, error=(ErrorKind.DNS, "no host"))
            for i in range(5)
        ]
        kept, plain = ErrorGroups(keep_urls=3, keep_results=True), ErrorGroups(keep_urls=3)
        for failure in failures:
            kept.add(failure)
            plain.add(failure)
        (group,) = kept.groups()
        assert (group.count, group.urls, group.results) == (
            5,
            ["https://a/0", "https://a/1", "https://a/2"],
            failures[:3],
        )
        assert plain.groups()[0].results == []

    def test_successes_and_cancelled_are_not_errors(self) -> None:
        """Only failures are grouped."""
        groups = ErrorGroups(keep_results=True)
        groups.add(make_result("https://ok/"))
        groups.add(make_result("https://c/", status=None, error=(ErrorKind.CANCELLED, "x")))
        assert groups.groups() == []


class TestExpectationGroups:
    """``expectation`` failures are grouped by the first check that did not pass."""

    def test_split_by_first_failed_check(self) -> None:
        """Two results failing ``body~a`` first share a group; one failing ``time<1s`` first
        (its ``body~a`` passed) has its own; the group's check names it."""
        groups = ErrorGroups()
        for index, outcomes in enumerate(
            [
                (("body~a", False), ("time<1s", False)),
                (("body~a", False), ("time<1s", True)),
                (("body~a", True), ("time<1s", False)),
            ]
        ):
            result = dataclasses.replace(
                make_result(f"https://a/{index}", index, error=(ErrorKind.EXPECTATION, "x")),
                checks=tuple(
                    CheckOutcome(text, ok, "seen", CheckKey.BODY) for text, ok in outcomes
                ),
            )
            groups.add(result)
        assert [(g.check, g.count) for g in groups.groups()] == [("body~a", 2), ("time<1s", 1)]

    def test_no_failed_check(self) -> None:
        """A result whose checks all passed names no first failed check."""
        result = dataclasses.replace(
            make_result("https://a/"),
            checks=(CheckOutcome("body~a", True, "found", CheckKey.BODY),),
        )
        assert first_failed_check(result) is None


def _outcome(check: str, ok: bool) -> CheckOutcome:
    return CheckOutcome(check, ok, "seen", CheckKey.BODY)
