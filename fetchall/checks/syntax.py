"""Split an input line into its URL and checks, and parse one check token.

A check is ``KEY[:ARGUMENT]OP VALUE`` with no blanks between the parts. ARGUMENT and VALUE are
each a bare word or a double-quoted string in which ``\\"`` and ``\\\\`` stand for ``"`` and
``\\``; any other backslash is kept, so regular expressions need no doubling. Because a quoted
part may hold blanks, tokens are found by scanning checks one after another, not by splitting
on blanks first.
"""

from __future__ import annotations

import functools
import re

from fetchall.checks.model import (
    WARN_PREFIX,
    Check,
    CheckKey,
    CheckSyntaxError,
    Op,
)
from fetchall.checks.paths import compile_path
from fetchall.checks.values import check_argument, read_value

_KEY_WORD = re.compile(r'[^\s:=!<>~"]*')
_BARE_ARGUMENT = re.compile(r"[^\s=!<>~]*")
_BARE_VALUE = re.compile(r"\S*")
_OP = re.compile(r"!~|!=|<=|>=|=|<|>|~")  # two-character operators first
_QUOTE_OR_BACKSLASH = re.compile(r'["\\]')
_SPACE = re.compile(r"\s+")
_ARGUMENT_STOPS = re.compile(r"[\s=!<>~]")
_KEY_LIST = ", ".join(key.written for key in CheckKey)


def split_line(text: str) -> tuple[str, tuple[Check, ...]]:
    """``(url, checks)`` from the stripped text of an input line; CheckSyntaxError if a check
    does not parse. The URL is returned as written; whether it is a URL is for others to say."""
    parts = text.split(None, 1)
    if len(parts) < 2:  # the common line: a URL alone, so no scanning at all
        return (parts[0] if parts else text), ()
    return parts[0], _checks_of(parts[1])


def parse_check(token: str) -> Check:
    """Parse exactly one check, e.g. ``body~Welcome`` or ``json:"length(items)">=1``."""
    check, end = _scan_check(token, 0)
    if end != len(token):
        raise CheckSyntaxError(token, f"text after the check: {token[end:]!r}")
    return check


def render_check(key: CheckKey, op: Op, value: str, argument: str | None = None) -> str:
    """The text of a check, quoting ARGUMENT and VALUE only where they need it."""
    head = key.value
    if key.argument is not None:
        text = argument or ""
        needs_quotes = not text or text[0] == '"' or _ARGUMENT_STOPS.search(text)
        head += ":" + (_quote(text) if needs_quotes else text)
    bare = value and value[0] != '"' and not _SPACE.search(value)
    return head + op.value + (value if bare else _quote(value))


# Lines that carry checks usually repeat the same few: parse each distinct tail once, and let
# the lines share the resulting (immutable) checks.
@functools.lru_cache(maxsize=512)
def _checks_of(rest: str) -> tuple[Check, ...]:
    checks: list[Check] = []
    pos, end = 0, len(rest)
    while True:
        if blank := _SPACE.match(rest, pos):
            pos = blank.end()
        if pos >= end:
            return tuple(checks)
        check, pos = _scan_check(rest, pos)
        checks.append(check)


def _scan_check(line: str, start: int) -> tuple[Check, int]:
    """The check that starts at ``start`` and the position just after it."""
    warn = line.startswith(WARN_PREFIX, start)
    key_start = start + len(WARN_PREFIX) if warn else start
    key_word = _KEY_WORD.match(line, key_start)
    assert key_word is not None  # the pattern matches the empty string
    pos = key_word.end()
    key = CheckKey.named(key_word[0])
    if key is None:
        what = f"unknown key {key_word[0]!r}" if key_word[0] else "missing key"
        if warn:
            what = f"{WARN_PREFIX} must be followed by a check: {what}"
        raise _error(line, start, pos, f"{what}; keys are {_KEY_LIST}")
    argument = None
    if (name := key.argument) is not None:
        if not line.startswith(":", pos):
            raise _error(line, start, pos, f"{key} needs a {name}: {key}:{name}")
        argument, pos = _scan_part(line, start, pos + 1, _BARE_ARGUMENT, name)
        if not argument:  # only a quoted one can be empty
            raise _error(line, start, pos, f"empty {name}")
    elif line.startswith(":", pos):
        raise _error(line, start, pos, f"{key} takes no :ARGUMENT")
    op_match = _OP.match(line, pos)
    if op_match is None:
        what = f"missing operator after {line[start:pos]!r}"
        raise _error(line, start, pos, f"{what}; {key} takes {key.describe_ops()}")
    op = Op(op_match[0])
    value, pos = _scan_part(line, start, op_match.end(), _BARE_VALUE, "VALUE")
    if pos < len(line) and not line[pos].isspace():
        raise _error(line, start, pos, "text after the closing quote")
    text = line[start:pos]
    try:
        expected = read_value(key, op, value)
        if argument is not None:
            check_argument(key, argument)
        path = compile_path(argument) if key is CheckKey.JSON and argument is not None else None
    except ValueError as exc:
        raise CheckSyntaxError(text, str(exc)) from None
    return Check(key, op, value, text, argument, expected, path, warn), pos


def _scan_part(
    line: str, start: int, pos: int, bare: re.Pattern[str], name: str
) -> tuple[str, int]:
    """An ARGUMENT or VALUE at ``pos``, quoted or bare, and the position after it."""
    if line.startswith('"', pos):
        return _scan_quoted(line, start, pos)
    word = bare.match(line, pos)
    assert word is not None  # the pattern matches the empty string
    if not word[0]:
        raise _error(line, start, pos, f"missing {name}")
    return word[0], word.end()


def _scan_quoted(line: str, start: int, pos: int) -> tuple[str, int]:
    """The text of the quoted string opening at ``pos``, and the position after its end."""
    pieces: list[str] = []
    pos += 1
    while stop := _QUOTE_OR_BACKSLASH.search(line, pos):
        at = stop.start()
        pieces.append(line[pos:at])
        if line[at] == '"':
            return "".join(pieces), at + 1
        escaped = line[at + 1 : at + 2]
        if escaped in ('"', "\\"):
            pieces.append(escaped)
            pos = at + 2
        else:  # not an escape: the backslash stands for itself (as in \d of a regex)
            pieces.append("\\")
            pos = at + 1
    raise CheckSyntaxError(line[start:], "unterminated quote")


def _error(line: str, start: int, pos: int, reason: str) -> CheckSyntaxError:
    """The error for the token that starts at ``start``, shown up to the blank after ``pos``."""
    blank = _SPACE.search(line, pos)
    return CheckSyntaxError(line[start : blank.start() if blank else len(line)], reason)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
