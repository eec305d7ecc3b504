"""What a check is: a key, an operator, a VALUE, and the text the user wrote.

A check is parsed once per input line and then only read, so everything costly (regular
expressions, JMESPath expressions, status sets) is built at parse time and kept in the value.
Lines that carry the same checks share the same :class:`Check` objects (see ``syntax``), so a
million-line file holds a handful of them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fetchall.statuses import AcceptedStatuses

if TYPE_CHECKING:
    from jmespath.parser import ParsedResult


class Op(enum.StrEnum):
    """How the seen value is compared with VALUE."""

    EQUAL = "="
    NOT_EQUAL = "!="
    LESS = "<"
    LESS_OR_EQUAL = "<="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    CONTAINS = "~"
    LACKS = "!~"


_ORDERED = (Op.EQUAL, Op.NOT_EQUAL, Op.LESS, Op.LESS_OR_EQUAL, Op.GREATER, Op.GREATER_OR_EQUAL)


class CheckKey(enum.StrEnum):
    """What part of the response a check looks at: the grammar of checks in one table.

    Each key lists the operators it takes (in the order the README's check table lists them)
    and, for a key written ``KEY:ARGUMENT``, what its argument names.
    """

    STATUS = "status", (Op.EQUAL,)
    BODY = "body", (Op.CONTAINS, Op.LACKS)
    HEADER = "header", (Op.EQUAL, Op.CONTAINS, Op.LACKS), "NAME"
    JSON = "json", (*_ORDERED, Op.CONTAINS), "PATH"
    TIME = "time", (Op.LESS, Op.LESS_OR_EQUAL)
    CERT = "cert", (Op.GREATER_OR_EQUAL, Op.GREATER)
    FINAL = "final", (Op.EQUAL, Op.CONTAINS)

    ops: tuple[Op, ...]
    """The operators this key takes."""
    argument: str | None
    """``NAME`` or ``PATH`` for a key written ``KEY:ARGUMENT``, else None."""

    def __new__(cls, value: str, ops: tuple[Op, ...], argument: str | None = None) -> CheckKey:
        member = str.__new__(cls, value)
        member._value_ = value
        member.ops = ops
        member.argument = argument
        return member

    @classmethod
    def named(cls, word: str) -> CheckKey | None:
        """The key spelled ``word`` (``status``, ``header``), or None."""
        return _KEYS_BY_WORD.get(word)

    @property
    def written(self) -> str:
        """The key as a message shows it: ``status``, ``header:NAME``."""
        return self.value if self.argument is None else f"{self.value}:{self.argument}"

    def describe_ops(self) -> str:
        """The operators of this key for a message: ``~ or !~``, ``=, ~ or !~``."""
        *others, last = self.ops
        return ", ".join(others) + " or " + last if others else last


_KEYS_BY_WORD = {key.value: key for key in CheckKey}

Matcher = str | re.Pattern[str]
"""A VALUE to search for: plain text, or a compiled ``/RE/``."""

JsonScalar = str | int | float | bool | None
"""A ``json`` VALUE: a JSON number, ``true``, ``false`` or ``null``, else the text itself."""

Expected = AcceptedStatuses | Matcher | JsonScalar
"""VALUE parsed for its key; see :attr:`Check.expected`."""


WARN_PREFIX = "warn:"
"""What turns any check into a warning check: ``warn:time<800ms``."""


class CheckSyntaxError(ValueError):
    """A check that does not parse; the message names the token and what is wrong with it."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"bad check {token!r}: {reason}")
        self.token = token
        """The offending text as written (up to the next whitespace or the end of the line)."""
        self.reason = reason
        """What is wrong, without the token."""


@dataclass(frozen=True, slots=True)
class Check:
    """One ``KEY OP VALUE`` test of a response. Build it with ``parse_check``.

    Two checks are equal when they were written the same way; the parsed forms are derived
    from the written ones and take no part in comparisons.
    """

    key: CheckKey
    op: Op
    value: str
    """VALUE as meant: surrounding quotes removed and ``\\"``, ``\\\\`` resolved."""
    text: str
    """The check exactly as written; it names the check in messages and reports."""
    argument: str | None = None
    """The header NAME or the JMESPath PATH (unquoted) for ``header`` and ``json``, else None."""
    expected: Expected = field(default=None, compare=False)
    """VALUE parsed once for its key: ``AcceptedStatuses`` for ``status``; text or a compiled
    regular expression for ``~``/``!~`` and for ``header=``/``final=``; seconds (float) for
    ``time``; whole days (int) for ``cert``; a :data:`JsonScalar` for the other ``json`` ops."""
    path: ParsedResult | None = field(default=None, compare=False, repr=False)
    """The compiled JMESPath expression of a ``json`` check, else None."""
    warn: bool = False
    """Written ``warn:CHECK``: failing it gives the job a warning, not a failure."""

    def __str__(self) -> str:
        return self.text
