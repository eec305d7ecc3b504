"""Judge a job's checks on what its final response showed.

Every check gets an outcome whose message says what was seen, so a report shows why a check
passed as well as why it failed. The body is decoded and parsed as JSON at most once per
response, however many checks read it. The messages:

- ``status``: ``got 404``
- ``body``: ``found`` / ``not found``; for ``/RE/`` the match is shown: ``found "Error 503"``
- ``header``: ``got "text/html"``, or ``no such header``
- ``final``: ``got "https://example.com/new"``
- ``time``: ``took 1.21 s`` (``took 250 ms`` under a second)
- ``cert``: ``expires in 9 days, 2026-12-11``, ``expired 3 days ago, 2026-11-29`` (UTC dates),
  ``an http URL has no certificate``, ``the certificate was not verified (--insecure)``,
  ``no certificate seen``
- ``json``: ``got "degraded"`` (seen values as JSON, cut at 80 characters), ``got 5, not a
  string`` (``~``), ``got "5", not a number`` (ordering), ``found nothing (null)``,
  ``not JSON: <json's reason>``, ``not JSON: the body is empty``,
  ``JMESPath error: <reason>`` (a function given the wrong type)
- ``body``/``json`` without a kept body: ``no body to read (it was not kept)``
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from jmespath.exceptions import JMESPathError

from fetchall.checks.compare import find, json_equal, json_ordered, shown
from fetchall.checks.model import Check, CheckKey, Matcher, Op
from fetchall.checks.outcome import CheckOutcome, Observed
from fetchall.checks.values import is_number
from fetchall.statuses import AcceptedStatuses

_DAY = timedelta(days=1)
_NOT_KEPT = "no body to read (it was not kept)"


def judge(
    checks: Iterable[Check],
    observed: Observed,
    now: datetime | None = None,
    *,
    strict: bool = False,
) -> tuple[CheckOutcome, ...]:
    """One outcome per check, in order. ``now`` (timezone-aware) dates ``cert`` checks;
    ``strict`` (``--strict``) judges ``warn:`` checks as plain ones."""
    reading = _Reading(observed, now or datetime.now(UTC), strict=strict)
    return tuple(reading.outcome(check) for check in checks)


class _Reading:
    """One response being judged: keeps its decoded body and parsed JSON between checks."""

    __slots__ = ("_json", "_text", "now", "seen", "strict")

    def __init__(self, seen: Observed, now: datetime, *, strict: bool) -> None:
        self.seen = seen
        self.now = now
        self.strict = strict
        self._text: str | None = None
        self._json: tuple[bool, Any] | None = None  # (parsed, data or why not)

    def outcome(self, check: Check) -> CheckOutcome:
        ok, message = _JUDGES[check.key](self, check)
        return CheckOutcome(check.text, ok, message, check.key, check.warn and not self.strict)

    def text(self) -> str | None:
        if self._text is None and self.seen.body is not None:
            self._text = self.seen.body.decode("utf-8", "replace")
        return self._text

    def json(self) -> tuple[bool, Any]:
        if self._json is None:
            self._json = _parse_json(self.seen.body)
        return self._json


def _parse_json(body: bytes | None) -> tuple[bool, Any]:
    if body is None:
        return False, _NOT_KEPT
    if not body.strip():
        return False, "not JSON: the body is empty"
    try:
        return True, json.loads(body)  # bytes in: json detects UTF-8/16/32 and a BOM itself
    except UnicodeDecodeError:
        return False, "not JSON: not valid Unicode text"
    except ValueError as exc:  # json.JSONDecodeError
        return False, f"not JSON: {exc}"
    except RecursionError:
        return False, "not JSON: nested too deeply"


def _status(reading: _Reading, check: Check) -> tuple[bool, str]:
    accepted = check.expected
    assert isinstance(accepted, AcceptedStatuses)
    return reading.seen.status in accepted, f"got {reading.seen.status}"


def _body(reading: _Reading, check: Check) -> tuple[bool, str]:
    text = reading.text()
    if text is None:
        return False, _NOT_KEPT
    matcher = _matcher(check)
    found = find(matcher, text)
    if found is None:
        message = "not found"
    else:
        message = "found" if isinstance(matcher, str) else f"found {shown(found)}"
    return (found is None) is (check.op is Op.LACKS), message


def _header(reading: _Reading, check: Check) -> tuple[bool, str]:
    assert check.argument is not None
    value = reading.seen.header(check.argument)
    if value is None:
        return check.op is Op.LACKS, "no such header"
    return _text_check(check, value), f"got {shown(value)}"


def _final(reading: _Reading, check: Check) -> tuple[bool, str]:
    url = reading.seen.final_url
    return _text_check(check, url), f"got {shown(url)}"


def _text_check(check: Check, seen: str) -> bool:
    """``=``, ``~`` or ``!~`` of a seen text against the check's VALUE."""
    if check.op is Op.EQUAL:
        return seen == check.value
    found = find(_matcher(check), seen) is not None
    return found is (check.op is Op.CONTAINS)


def _time(reading: _Reading, check: Check) -> tuple[bool, str]:
    limit, took = check.expected, reading.seen.elapsed
    assert isinstance(limit, float)
    ok = took < limit if check.op is Op.LESS else took <= limit
    shown_time = f"{took:.2f} s" if took >= 1 else f"{took * 1000:.0f} ms"
    return ok, f"took {shown_time}"


def _cert(reading: _Reading, check: Check) -> tuple[bool, str]:
    seen, days = reading.seen, check.expected
    assert isinstance(days, int)
    if not seen.is_https:
        return False, "an http URL has no certificate"
    if not seen.tls_verified:
        return False, "the certificate was not verified (--insecure)"
    if seen.cert_expires is None:
        return False, "no certificate seen"
    left = seen.cert_expires - reading.now
    ok = left >= days * _DAY if check.op is Op.GREATER_OR_EQUAL else left > days * _DAY
    date = seen.cert_expires.astimezone(UTC).date().isoformat()
    if left >= timedelta(0):
        return ok, f"expires in {_days(left)}, {date}"
    return ok, f"expired {_days(-left)} ago, {date}"


def _days(span: timedelta) -> str:
    whole = span // _DAY
    return f"{whole} day" if whole == 1 else f"{whole} days"


def _json(reading: _Reading, check: Check) -> tuple[bool, str]:
    parsed, data = reading.json()
    if not parsed:
        return False, str(data)
    assert check.path is not None
    try:
        got = check.path.search(data)
    except JMESPathError as exc:  # e.g. length() of a number: the PATH does not fit this body
        return False, f"JMESPath error: {str(exc).splitlines()[0]}"
    expected = check.expected
    assert not isinstance(expected, AcceptedStatuses)
    if got is None and expected is not None:
        return False, "found nothing (null)"
    message = f"got {shown(got)}"
    if check.op is Op.CONTAINS:
        if not isinstance(got, str):
            return False, f"{message}, not a string"
        return find(_matcher(check), got) is not None, message
    if check.op is Op.EQUAL or check.op is Op.NOT_EQUAL:
        assert not isinstance(expected, re.Pattern)
        return json_equal(got, expected, check.value) is (check.op is Op.EQUAL), message
    if not is_number(got):
        return False, f"{message}, not a number"
    assert isinstance(expected, int | float)
    return json_ordered(got, check.op, expected), message


def _matcher(check: Check) -> Matcher:
    matcher = check.expected
    assert isinstance(matcher, str | re.Pattern)
    return matcher


_JUDGES = {
    CheckKey.STATUS: _status,
    CheckKey.BODY: _body,
    CheckKey.HEADER: _header,
    CheckKey.JSON: _json,
    CheckKey.TIME: _time,
    CheckKey.CERT: _cert,
    CheckKey.FINAL: _final,
}
