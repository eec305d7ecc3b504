"""``--expect`` gives default checks; a job's own check with the same key and op replaces one."""

from __future__ import annotations

import click
import pytest

from fetchall.checks import Check, merge_checks, parse_check
from fetchall.cli import command


def _checks(*texts: str) -> tuple[Check, ...]:
    return tuple(parse_check(text) for text in texts)


def _texts(checks: tuple[Check, ...]) -> list[str]:
    return [check.text for check in checks]


def _expect(monkeypatch: pytest.MonkeyPatch, *args: str, env: str | None = None) -> list[str]:
    """The ``--expect`` checks the command parses from ``args`` and ``FETCHALL_EXPECT``."""
    if env is None:
        monkeypatch.delenv("FETCHALL_EXPECT", raising=False)
    else:
        monkeypatch.setenv("FETCHALL_EXPECT", env)
    context = command.make_context("fetchall", [*args, "https://example.com/"])
    return _texts(context.params["expect"])


class TestExpectOption:
    """``--expect`` values and the lines of ``FETCHALL_EXPECT`` give the default checks."""

    def test_values_in_order(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each value is one check, kept in the order given."""
        args = ["--expect", "status=200", "--expect", 'body~"Hello world"', "--expect", "time<2s"]
        assert _expect(monkeypatch, *args) == ["status=200", 'body~"Hello world"', "time<2s"]

    def test_environment_lines(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """One check per line; blank lines and blanks around a check are ignored, so a YAML
        block that ends with a newline works."""
        env = "  cert>=14\n\nheader:x-frame-options=DENY  \n"
        assert _expect(monkeypatch, env=env) == ["cert>=14", "header:x-frame-options=DENY"]

    def test_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No values give no defaults."""
        assert _expect(monkeypatch) == []

    def test_bad_value(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A malformed value is a usage error naming it."""
        with pytest.raises(click.BadParameter, match=r"bad check 'body=x': body takes ~ or !~"):
            _expect(monkeypatch, "--expect", "status=200", "--expect", "body=x")

    def test_two_checks_in_one_value(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """One value holds one check; two are refused, not silently split."""
        with pytest.raises(click.BadParameter, match=r"text after the check: ' time<1s'"):
            _expect(monkeypatch, "--expect", "status=200 time<1s")


class TestMergeChecks:
    """Defaults first (those not replaced), then the job's own, each in the order written."""

    def test_no_defaults(self) -> None:
        """Without defaults a job has its own checks."""
        own = _checks("body~a")
        assert merge_checks((), own) is own

    def test_no_own_checks(self) -> None:
        """A job without checks (a URL argument, standard input) gets the defaults."""
        defaults = _checks("status=200", "cert>=14")
        assert merge_checks(defaults, ()) is defaults

    def test_other_keys_add_up(self) -> None:
        """Defaults and own checks with different keys all apply, defaults first."""
        merged = merge_checks(_checks("cert>=14", "time<2s"), _checks("body~Welcome"))
        assert _texts(merged) == ["cert>=14", "time<2s", "body~Welcome"]

    def test_same_key_and_op_replaces(self) -> None:
        """``status=200-299,404`` on a line replaces ``--expect status=200``."""
        merged = merge_checks(_checks("status=200", "cert>=14"), _checks("status=200-299,404"))
        assert _texts(merged) == ["cert>=14", "status=200-299,404"]

    def test_same_key_other_op_does_not_replace(self) -> None:
        """``body!~Error`` does not replace ``body~Welcome``: both apply."""
        merged = merge_checks(
            _checks("body~Welcome", "time<800ms"), _checks("body!~Error", "time<=2s")
        )
        assert _texts(merged) == ["body~Welcome", "time<800ms", "body!~Error", "time<=2s"]

    def test_header_name_in_any_case(self) -> None:
        """``header:NAME`` is one key whatever the case of NAME."""
        merged = merge_checks(
            _checks("header:X-Frame-Options=DENY", "header:Server!~IIS"),
            _checks("header:x-frame-options=SAMEORIGIN"),
        )
        assert _texts(merged) == ["header:Server!~IIS", "header:x-frame-options=SAMEORIGIN"]

    def test_other_header_does_not_replace(self) -> None:
        """Checks on different headers are different keys."""
        merged = merge_checks(_checks("header:a=1"), _checks("header:b=1"))
        assert _texts(merged) == ["header:a=1", "header:b=1"]

    def test_json_path_as_written(self) -> None:
        """``json:PATH`` is one key per PATH (unquoted); other PATHs are other keys."""
        merged = merge_checks(
            _checks('json:"status"=ok', "json:version>=2"),
            _checks("json:status=degraded", "json:build>=2"),
        )
        assert _texts(merged) == ["json:version>=2", "json:status=degraded", "json:build>=2"]

    def test_one_own_check_replaces_every_matching_default(self) -> None:
        """Two defaults with the same key and op both give way to one own check."""
        merged = merge_checks(_checks("body~a", "body~b", "time<1s"), _checks("body~c"))
        assert _texts(merged) == ["time<1s", "body~c"]

    def test_own_duplicates_are_kept(self) -> None:
        """A job's own checks are never dropped, even with the same key and op."""
        merged = merge_checks(_checks("body~a"), _checks("body~b", "body~c"))
        assert _texts(merged) == ["body~b", "body~c"]
