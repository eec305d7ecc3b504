"""Which request headers are secrets, and ``--header-for``: a header for some hosts only.

``Authorization``, ``Cookie`` and ``Proxy-Authorization`` given with ``-H`` go only to the
origin of the job's own URL; a :class:`HeaderFor` goes to every request, first or redirect
hop, whose URL matches its :class:`HostPattern`, and no other. Neither value is ever shown:
their reprs and error messages say ``***``. Where each request gets them is
:mod:`fetchall.transport.headers`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import assert_never

from yarl import URL

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
"""The ``-H`` headers (lower-cased) sent to the job URL's own origin only, and never shown."""

HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""What a header name may hold (RFC 9110 section 5.6.2)."""
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""What no header value may hold: a CR or LF could end the header and start another."""
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HOST = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")
"""A host as yarl gives it (``raw_host``): IDNA-encoded and lower-cased, or IPv6 digits."""


def is_secret(name: str) -> bool:
    """Whether a ``-H`` header of this name is a secret (sent to one origin, never shown)."""
    return name.lower() in SECRET_HEADERS


def parse_header(text: str, *, secret: bool = False) -> tuple[str, str]:
    """``Name: value`` into a pair; raise ValueError when there is no name, no colon, a name
    that is not an HTTP token, or a control character in the value.

    The message quotes the text, but for a ``secret`` header (``--header-for``) or one named
    in :data:`SECRET_HEADERS`, whose value it leaves out.
    """
    name, colon, value = text.partition(":")
    name = name.strip()
    # "Authorization token", its colon forgotten, is as secret as with it.
    hidden = secret or is_secret(name.split(maxsplit=1)[0] if name else "")
    if not colon or not HEADER_NAME.fullmatch(name):
        shown = (f"{name}: ***" if colon else "***") if hidden else text
        raise ValueError(f"{shown!r} is not a header like 'Name: value'")
    if CONTROL_CHARACTERS.search(value):
        shown = f"{name}: ***" if hidden else text
        raise ValueError(f"{shown!r}: a header value may not hold control characters")
    return name, value.strip()


def fill_in(name: str, value: str, environ: Mapping[str, str]) -> str:
    """Header ``name``'s ``value`` with each ``${VARIABLE}`` replaced by its value in
    ``environ``, so that a secret need not be on the command line; raise ValueError (naming the
    variable, never a value) when one is unset or its value holds control characters."""
    if "${" not in value:
        return value

    def value_of(match: re.Match[str]) -> str:
        try:
            return environ[match[1]]
        except KeyError:
            raise ValueError(f"header {name}: ${{{match[1]}}} is not set") from None

    filled = _VARIABLE.sub(value_of, value)
    if CONTROL_CHARACTERS.search(filled):
        used = ", ".join(f"${{{variable}}}" for variable in _VARIABLE.findall(value))
        raise ValueError(f"header {name}: the value of {used} may not hold control characters")
    return filled


class PatternKind(enum.Enum):
    """What part of a URL a :class:`HostPattern` looks at."""

    HOST = "host"
    """``api.example.com``: that host, any scheme and port."""
    SUBDOMAINS = "subdomains"
    """``*.example.com``: any host under it, at any depth, not ``example.com`` itself."""
    ORIGIN = "origin"
    """``https://api.example.com:8443``: that scheme, host and port (default: the scheme's)."""


@dataclass(frozen=True, slots=True)
class HostPattern:
    """Which URLs a ``--header-for`` header goes to; build with :meth:`parse`."""

    text: str
    """The pattern as written."""
    kind: PatternKind
    host: str
    """The host (for ``SUBDOMAINS``, the domain under which), as yarl spells ``raw_host``."""
    scheme: str | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> HostPattern:
        """``api.example.com``, ``*.example.com`` or ``https://api.example.com:8443``; raise
        ValueError for anything else."""
        written = text.strip()
        if "://" in written:
            url = _url_of(written, written)
            if url.scheme not in ("http", "https") or url.path not in ("", "/"):
                raise ValueError(f"{text!r}: give an origin like https://api.example.com:8443")
            return cls(written, PatternKind.ORIGIN, _host_of(url, text), url.scheme, url.port)
        if written.startswith("*."):
            domain = _host_of(_url_of(f"http://{written[2:]}", text), text)
            return cls(written, PatternKind.SUBDOMAINS, domain)
        return cls(written, PatternKind.HOST, _host_of(_url_of(f"http://{written}", text), text))

    def matches(self, url: URL) -> bool:
        """Whether a request to ``url`` gets the header."""
        host = url.raw_host or ""
        match self.kind:
            case PatternKind.HOST:
                return host == self.host
            case PatternKind.SUBDOMAINS:
                return host.endswith("." + self.host)
            case PatternKind.ORIGIN:
                return host == self.host and url.scheme == self.scheme and url.port == self.port
            case _:  # pragma: no cover (every kind is handled above)
                assert_never(self.kind)


def _url_of(text: str, written: str) -> URL:
    try:
        url = URL(text)
    except ValueError:
        raise ValueError(f"{written!r} is not a host, *.domain or scheme://host:port") from None
    if url.user is not None or url.password is not None or url.query_string or url.fragment:
        raise ValueError(f"{written!r} is not a host, *.domain or scheme://host:port")
    return url


def _host_of(url: URL, written: str) -> str:
    host = url.raw_host or ""
    if not _HOST.fullmatch(host) or (url.path not in ("", "/")):
        raise ValueError(f"{written!r} is not a host, *.domain or scheme://host:port")
    if "://" not in written and url.explicit_port is not None:
        raise ValueError(f"{written!r}: a port needs a scheme, as in https://{written.strip()}")
    return host


@dataclass(frozen=True, slots=True)
class HeaderFor:
    """``--header-for PATTERN 'Name: value'``: a header sent only where ``pattern`` matches."""

    pattern: HostPattern
    name: str
    value: str = field(repr=False)
    """Never shown: the header's repr leaves it out, as every message does."""

    @classmethod
    def parse(cls, pattern: str, header: str) -> HeaderFor:
        """From the option's two values; raise ValueError (naming no value) when either is
        malformed."""
        name, value = parse_header(header, secret=True)
        return cls(HostPattern.parse(pattern), name, value)
