"""How text from the input and the network is shown to people: printable, and without secrets.

Every URL in a result passes through :func:`redact`; every text that reaches a terminal, a
line-based format or an XML report passes through :func:`printable`.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)@")
_SHOWN_CHARS = 2000
# C0 and C1 controls, line and paragraph separators, and the XML non-characters: none of them
# may reach a terminal, a line-based format or an XML report.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` safe to show anywhere: undecodable bytes and controls become U+FFFD."""
    if not text.isascii():
        try:  # bytes that were not UTF-8 come back as themselves, then as one U+FFFD each
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate from a library caller
            raw = text.encode("utf-8", "surrogatepass")
        text = raw.decode("utf-8", "replace")
    return _UNPRINTABLE.sub("\ufffd", text)


def redact(url: str) -> str:
    """The URL as shown to people: credentials as ``***``, printable, and not endless.

    ``https://u:p@host/`` becomes ``https://***@host/``. Works on text that is not a valid URL
    too, since invalid lines are reported as well: undecodable bytes and control characters
    become U+FFFD and a very long line is cut with an ellipsis.
    """
    if "@" not in url and url.isascii() and url.isprintable() and len(url) <= _SHOWN_CHARS:
        return url  # the common case, on every result: nothing to hide or replace
    shown = printable(_USERINFO.sub(r"\1***@", url, count=1))
    if len(shown) > _SHOWN_CHARS:
        shown = shown[:_SHOWN_CHARS] + "…"
    return shown
