"""Read a check's VALUE for its key: statuses, regular expressions, durations, days, JSON.

Every reader raises ``ValueError`` with a reason a user can act on; the parser adds the token.
"""

from __future__ import annotations

import json
import re
import warnings

from fetchall.checks.model import (
    CheckKey,
    Expected,
    JsonScalar,
    Matcher,
    Op,
)
from fetchall.statuses import AcceptedStatuses

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)", re.ASCII)
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0}
_DAYS = re.compile(r"(\d+)d?", re.ASCII)
# The number grammar of RFC 8259, so that ``5`` and ``-1.5e3`` compare as numbers but ``05``,
# ``+5``, ``NaN`` and ``0x10`` stay text, as they would in the JSON body.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)
_JSON_WORDS: dict[str, JsonScalar] = {"true": True, "false": False, "null": None}
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)  # RFC 9110 token


def parse_duration(text: str) -> float:
    """Seconds from ``800ms``, ``2s``, ``1.5s`` or ``2m``; the unit is required."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 800ms, 2s, 1.5s or 2m")
    return float(match[1]) * _DURATION_UNITS[match[2]]


def parse_days(text: str) -> int:
    """Whole days from ``14`` or ``14d``."""
    match = _DAYS.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a number of days like 14 or 14d")
    return int(match[1])


def read_json_value(text: str) -> JsonScalar:
    """A JSON number, ``true``, ``false`` or ``null`` as that value; any other text as text."""
    if text in _JSON_WORDS:
        return _JSON_WORDS[text]
    if _JSON_NUMBER.fullmatch(text):
        number: int | float = json.loads(text)
        return number
    return text


def is_number(value: object) -> bool:
    """A JSON number: int or float, but not bool (which Python counts as an int)."""
    return type(value) is int or type(value) is float


def compile_matcher(text: str) -> Matcher:
    """``/RE/`` as a compiled regular expression, anything else as the text to find."""
    if len(text) < 2 or text[0] != "/" or text[-1] != "/":
        return text
    try:
        # re warns (FutureWarning, DeprecationWarning) about patterns whose meaning may change
        # in a later Python, e.g. a nested set; today's meaning is the one the user tested, and
        # a warning per input line would bury the report. catch_warnings is process-wide: at
        # worst another thread's warning raised during this one compile goes unshown.
        with warnings.catch_warnings(action="ignore"):
            return re.compile(text[1:-1])
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from exc
    except (OverflowError, RecursionError) as exc:
        # re raises these instead of re.error for huge repeat counts and very deep nesting.
        raise ValueError(f"bad regular expression: {type(exc).__name__}") from exc


def check_argument(key: CheckKey, argument: str) -> None:
    """Raise ValueError when a header NAME is not a header name (PATHs are compiled apart)."""
    if key is CheckKey.HEADER and not _HEADER_NAME.fullmatch(argument):
        raise ValueError(f"{argument!r} is not a header name")


def read_value(key: CheckKey, op: Op, value: str) -> Expected:
    """VALUE parsed for ``key`` and ``op`` (see ``Check.expected``); ValueError when it is bad."""
    if op not in key.ops:
        raise ValueError(f"{key} takes {key.describe_ops()}, not {op}")
    if op is Op.CONTAINS or op is Op.LACKS:
        return compile_matcher(value)
    if key is CheckKey.STATUS:
        return AcceptedStatuses.parse(value)
    if key is CheckKey.TIME:
        return parse_duration(value)
    if key is CheckKey.CERT:
        return parse_days(value)
    if key is CheckKey.JSON:
        expected = read_json_value(value)
        if op not in (Op.EQUAL, Op.NOT_EQUAL) and not is_number(expected):
            raise ValueError(f"{op} compares numbers; {value!r} is not a number")
        return expected
    return value  # header= and final= compare text as it is
