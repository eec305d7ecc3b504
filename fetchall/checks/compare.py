"""The comparison rules of checks, apart from where the values come from.

``json`` compares numbers as numbers and everything else as text: a JSON string equals a VALUE
of the same text, so ``json:version=5`` matches both ``"5"`` and ``5``. Ordering needs a number
on both sides; strings are never ordered, because text order puts ``"10"`` before ``"9"``.
``true``, ``false`` and ``null`` equal only themselves (never 1, 0 or a string). ``~`` needs a
string. A PATH that gives null (finds nothing) fails the check, except against a VALUE of
``null``, which exists to ask exactly that: ``json:error=null`` passes when ``error`` is null
or missing, ``json:error!=null`` when it is anything else.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable

from fetchall.checks.model import JsonScalar, Matcher, Op
from fetchall.checks.values import is_number

_SHOWN_CHARS = 80
_ORDERINGS: dict[Op, Callable[[float, float], bool]] = {
    Op.LESS: operator.lt,
    Op.LESS_OR_EQUAL: operator.le,
    Op.GREATER: operator.gt,
    Op.GREATER_OR_EQUAL: operator.ge,
}


def find(matcher: Matcher, text: str) -> str | None:
    """The text that ``matcher`` finds in ``text`` (plain text or a regex searched), or None."""
    if isinstance(matcher, str):
        return matcher if matcher in text else None
    found = matcher.search(text)
    return None if found is None else found[0]


def json_equal(got: object, expected: JsonScalar, text: str) -> bool:
    """``got`` (a JMESPath result) equals the VALUE parsed as ``expected``, written ``text``."""
    if isinstance(got, str):
        return got == text
    if is_number(got) and is_number(expected):
        return got == expected
    if got is None or isinstance(got, bool):
        return got is expected  # true, false and null equal only themselves
    return False  # arrays and objects equal no VALUE


def json_ordered(got: float, op: Op, expected: float) -> bool:
    """``got OP expected`` for an ordering operator and two numbers."""
    return _ORDERINGS[op](got, expected)


def shown(value: object) -> str:
    """A seen value for a message: as JSON (so strings are quoted), cut at 80 characters."""
    text = json.dumps(value, ensure_ascii=False)
    if not _encodable(text):
        text = json.dumps(value)  # lone surrogates would break a UTF-8 report; escape them
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
