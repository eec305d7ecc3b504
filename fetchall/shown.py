"""How text from the input and the network is shown to people: printable, and without secrets.

Every URL in a result passes through :func:`redact`; every text that reaches a terminal, a
line-based format or an XML report passes through :func:`printable`.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END = re.compile(r"[/?#]")
# A host (a name, an IPv4 address or a bracketed IPv6 one) with an optional port: what follows
# the credentials, and what a URL without credentials starts with.
_HOST_AND_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\s@/?#:\[\]]+)(?::\d{1,5})?")
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
    shown = printable(_without_credentials(url))
    if len(shown) > _SHOWN_CHARS:
        shown = shown[:_SHOWN_CHARS] + "…"
    return shown


def _without_credentials(text: str) -> str:
    """``text`` with everything between ``scheme://`` and the ``@`` before the host as ``***``.

    A password may hold an unencoded ``/``, ``?``, ``#`` or ``@``, which ends the authority
    early or looks like one more, so the host is taken to be the first text after an ``@``
    that is a host (and port) up to the next ``/``, ``?``, ``#`` or the end: a ``@`` inside a
    password is followed by more of it and another ``@``, which no host holds. Text that
    starts like a URL without credentials (``https://example.com/@alice``) is left alone;
    so is, unavoidably, a password that starts with up to five digits and then ``/``, ``?``
    or ``#`` (``http://u:12/x@h/`` reads as host ``u``, port 12).
    """
    scheme = _SCHEME.match(text)
    if scheme is None:
        return text
    start = scheme.end()
    end = _AUTHORITY_END.search(text, start)
    authority = text[start : len(text) if end is None else end.start()]
    if "@" not in authority and _HOST_AND_PORT.fullmatch(authority):
        return text
    at = text.find("@", start)
    while at != -1:
        after = _AUTHORITY_END.search(text, at + 1)
        host = text[at + 1 : len(text) if after is None else after.start()]
        if _HOST_AND_PORT.fullmatch(host):
            break
        at = text.find("@", at + 1)
    else:  # no host after any ``@``: hide everything up to the last
        at = text.rfind("@")
    if at == -1:
        return text
    return f"{scheme[0]}***{text[at:]}"
