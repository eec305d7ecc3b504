"""Which lines are fetchable URLs, and how URLs are shown without their credentials.

yarl does the parsing (IDNA hosts, IPv6 literals, percent-encoding); this module only decides
what fetchall accepts (absolute http and https URLs with a host, one line of at most 8 KiB)
and says why it rejects the rest.
"""

from __future__ import annotations

import re

from yarl import URL

from fetchall.models import ErrorKind, FetchError, Job, Result, result_for

MAX_LINE_BYTES = 8 * 1024
"""Longer lines are rejected as ``invalid_url``: no real URL is that long, a runaway line is."""
LINE_TOO_LONG = f"line longer than {MAX_LINE_BYTES // 1024} KiB"

_SCHEMES = frozenset({"http", "https"})
_WHITESPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def scheme_of(text: str) -> str | None:
    """The scheme ``text`` names before ``://``, lower-cased; None if it names none. An INPUT
    that names one is a URL, never a path; a line that names none is not an absolute URL."""
    scheme, separator, _ = text.partition("://")
    return scheme.lower() if separator else None


class InvalidURL(ValueError):
    """A line that cannot be fetched; the message says why, for people."""


def parse_url(text: str) -> URL:
    """Return the URL to fetch, or raise :class:`InvalidURL` saying what is wrong with it."""
    if not text.isascii():  # most URLs are ASCII: one byte per character, nothing to decode
        if len(text.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
            raise InvalidURL(LINE_TOO_LONG)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidURL("line is not valid UTF-8") from None
    elif len(text) > MAX_LINE_BYTES:
        raise InvalidURL(LINE_TOO_LONG)
    if _WHITESPACE_OR_CONTROL.search(text):
        raise InvalidURL("URL contains spaces or control characters")
    scheme = scheme_of(text)
    if scheme is None:
        raise InvalidURL("not an absolute URL (no scheme://)")
    if scheme not in _SCHEMES:
        raise InvalidURL("not an http(s) URL")
    try:
        url = URL(text)
        host = url.host
        # Reading the port validates it: yarl raises on out-of-range or non-numeric ports.
        _ = url.port
    except (ValueError, UnicodeError) as exc:
        raise InvalidURL(f"unparsable URL ({exc})") from None
    if not host:
        raise InvalidURL("URL has no host")
    return url


def url_to_fetch(job: Job) -> URL | Result:
    """The URL to fetch for ``job``, or its ``invalid_url`` result naming the line."""
    try:
        if job.problem is not None:
            raise InvalidURL(job.problem)
        return parse_url(job.url)
    except InvalidURL as exc:
        return result_for(job, error=FetchError(ErrorKind.INVALID_URL, f"{job.source} {exc}"))


def invalid_result(job: Job) -> Result | None:
    """The ``invalid_url`` result for a job that cannot be fetched, or None if it can."""
    checked = url_to_fetch(job)
    return checked if isinstance(checked, Result) else None
