"""How text from servers and inputs is shown: inert wherever it goes, and without secrets.

Text from outside (a reason phrase, a header, a ``Location``, a line of a URL file) reaches
terminals, CI runners that read workflow commands on stdout and stderr, XML readers and
Markdown renderers. Each of these places has one function here, and every format calls the
one for the place its text goes:

- :func:`for_terminal` -- a line of standard output or standard error (``text``, the text part
  of ``github``, log lines); :func:`for_terminal_url` for a URL in one.
- :func:`for_lines` -- text of several lines (a JUnit failure, an annotation's message).
- :func:`for_xml` -- text and attribute values of the JUnit report.
- :func:`for_command_message` and :func:`for_command_property` -- inside fetchall's own
  ``::error`` workflow commands.
- :func:`for_markdown` and :func:`for_markdown_url` -- the Markdown report.
- :func:`for_json` -- a JSON text about to be written (``jsonl``, ``json``).
- :func:`for_runner` -- what every one of them does against workflow commands.

Every URL in a result passes through :func:`redact` first.

The common case, printable ASCII with nothing that looks like a workflow command, is a few
C-level scans and returns its argument: these run on every result.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END = re.compile(r"[/?#]")
# A host (a name, an IPv4 address or a bracketed IPv6 one) with an optional port: what follows
# the credentials, and what a URL without credentials starts with.
_HOST_AND_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\s@/?#:\[\]]+)(?::\d{1,5})?")
_SHOWN_CHARS = 2000

# What may not reach a terminal raw: C0 controls but tab, DEL, C1 controls, the line and
# paragraph separators, the bidirectional overrides and isolates (they reorder what is shown),
# the XML non-characters and lone surrogates (left by a library caller; undecodable bytes are
# replaced before this applies).
_UNSAFE_CLASS = (
    "\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
# The same, but line breaks are kept: for text that may hold several lines.
_UNSAFE_BUT_BREAKS = re.compile(f"[{_UNSAFE_CLASS.replace(chr(0x0A) + '-', chr(0x0B) + '-')}]")
# In a URL a tab is percent-encoded too: no URL holds one.
_UNSAFE_IN_URL = re.compile(f"[\t{_UNSAFE_CLASS}]")
_LINE_BREAKS = re.compile(r"\r\n?")
# GitHub's runner reads ``::name::`` at the start of a line, after blanks (it trims Unicode
# white space), and the older ``##[name]`` anywhere in a line. It splits lines at CR and LF.
_COMMAND_AT_LINE_START = re.compile(r"(\A|[\r\n])(\s*):(?=:)")
_OLD_COMMAND = "##["
_ZWSP = "\u200b"
# In JSON, the characters a terminal must not get raw, as the escapes JSON has for them.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _decoded(text: str) -> str:
    """``text`` with undecodable bytes (and lone surrogates) as U+FFFD, one per byte."""
    try:  # bytes that were not UTF-8 come back as themselves, then as one U+FFFD each
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate from a library caller
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def _backslashed(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _percent_encoded(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))


def _no_commands(text: str) -> str:
    # A zero-width space after the first character: shown the same, read as no command.
    if _OLD_COMMAND in text:
        text = text.replace(_OLD_COMMAND, f"#{_ZWSP}#[")
    if "::" in text:
        text = _COMMAND_AT_LINE_START.sub(rf"\1\2:{_ZWSP}", text)
    return text


def _is_plain(text: str) -> bool:
    # The common case: nothing to escape and nothing a runner would read as a command.
    return text.isascii() and text.isprintable() and "::" not in text and "##[" not in text


def for_runner(text: str) -> str:
    """``text`` with nothing a CI runner reads as a workflow command, line breaks and all else
    kept: ``##[`` anywhere and ``::`` at the start of a line (after blanks) get a zero-width
    space after their first character. The start of ``text`` counts as a line start, since
    the caller may put it there. The other sinks here all do this too."""
    if "::" not in text and _OLD_COMMAND not in text:
        return text
    return _no_commands(text)


def for_terminal(text: str) -> str:
    """``text`` for one line of standard output or standard error, which terminals and CI
    runners read: control characters (line breaks too) and bidirectional overrides shown
    escaped (``\\x1b``, ``\\u202e``), undecodable bytes as U+FFFD, workflow commands inert
    (:func:`for_runner`). Used by ``text``, ``github``'s report lines and the log lines."""
    if _is_plain(text):
        return text
    if not text.isascii():
        text = _decoded(text)
    return _no_commands(_UNSAFE.sub(_backslashed, text))


def for_terminal_url(url: str) -> str:
    """``url`` for a line of standard output or standard error, or any report that shows it
    as text: as :func:`for_terminal`, but what must be escaped is percent-encoded
    (``%1B``, ``%E2%80%AE``), which keeps it the same URL; so is the ``#`` that would make
    ``##[`` and a leading ``:`` that would make ``::``."""
    if _is_plain(url):
        return url
    if not url.isascii():
        url = _decoded(url)
    url = _UNSAFE_IN_URL.sub(_percent_encoded, url)
    if _OLD_COMMAND in url:
        url = url.replace(_OLD_COMMAND, "#%23[")
    if url.lstrip().startswith("::"):
        stripped = url.lstrip()
        url = url[: len(url) - len(stripped)] + "%3A" + stripped[1:]
    return url


def for_lines(text: str) -> str:
    """``text`` that may hold several lines, for a report or a workflow command's message:
    as :func:`for_terminal`, but each line break is kept (CR LF and CR become LF) and every
    line is made inert on its own."""
    if _is_plain(text):
        return text
    if not text.isascii():
        text = _decoded(text)
    if "\r" in text:
        text = _LINE_BREAKS.sub("\n", text)
    return _no_commands(_UNSAFE_BUT_BREAKS.sub(_backslashed, text))


def for_xml(text: str) -> str:
    """``text`` for the JUnit report, as an element's text or an attribute's value: as
    :func:`for_lines`, which escapes every character XML 1.0 forbids (C0 controls but tab and
    LF, U+FFFE, U+FFFF, lone surrogates), so the document always parses; JUnit readers print
    these texts in CI logs, so workflow commands are inert in them too."""
    return for_lines(text)


def escape_command_data(text: str) -> str:
    """``text`` as the message of a workflow command: ``%``, CR and LF percent-encoded,
    as GitHub's toolkit does (``escapeData`` in ``@actions/core``'s ``command.ts``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_command_property(text: str) -> str:
    """``text`` as a property value of a workflow command: as :func:`escape_command_data`,
    and ``:`` and ``,`` percent-encoded too, since they end a property (``escapeProperty``)."""
    return escape_command_data(text).replace(":", "%3A").replace(",", "%2C")


def for_command_message(text: str) -> str:
    """Outside text in the message of one of fetchall's own workflow commands (``::error``):
    :func:`for_lines` (the runner shows an annotation's lines), then GitHub's escaping."""
    return escape_command_data(for_lines(text))


def for_command_property(text: str) -> str:
    """Outside text (a file's path) as a property of one of fetchall's workflow commands:
    :func:`for_terminal`, then GitHub's escaping for properties."""
    return escape_command_property(for_terminal(text))


_BACKTICKS = re.compile(r"`+")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def _code_span(line: str, *, in_table: bool) -> str:
    if not line:
        return "` `"
    if in_table:
        # In a table cell a ``|`` must be written ``\|`` even inside a code span, and GitHub
        # then has no way to show a backslash right before a ``|``: such pipes are shown as
        # ``¦``, so the cell cannot end early.
        line = line.replace("|", "¦" if "\\|" in line else "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(line)), default=0) + 1)
    # One space inside each fence is dropped by the reader; it lets the text start or end
    # with a backtick or a space.
    pad = " " if line[0] in "` " or line[-1] in "` " else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def for_markdown(text: str, *, in_table: bool = False) -> str:
    """Outside text for the Markdown report: each line a code span (joined by ``<br>``), made
    inert as :func:`for_terminal` makes it. In code, GitHub makes no link, HTML, emoji or
    ``@`` mention of anything: a backslash would not be enough, since mentions are found in the
    rendered text. ``in_table`` for a table cell, where ``|`` is written ``\\|``."""
    return "<br>".join(
        _code_span(for_terminal(line), in_table=in_table) for line in _LINE_SPLIT.split(text)
    )


def for_markdown_url(url: str, *, in_table: bool = False) -> str:
    """A URL for the Markdown report: one code span of :func:`for_terminal_url`'s form."""
    url = for_terminal_url(url)
    if in_table and "\\|" in url:
        url = url.replace("|", "%7C")  # a URL may always percent-encode its pipes
    return _code_span(url, in_table=in_table)


def _json_escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def for_json(encoded: str) -> str:
    """A JSON text (as ``json.dumps(..., ensure_ascii=False)`` writes it) made safe for
    standard output and report files, without changing what it decodes to: undecodable bytes
    (lone surrogates, which UTF-8 cannot hold) become U+FFFD; DEL, C1 controls, line
    separators and bidirectional overrides are written as JSON escapes (``\\u202e``), and so
    is the second ``#`` of ``##[`` (``#\\u0023[``), which a runner would read anywhere in a
    line. JSON escapes every other control and puts no raw line break in a string, so no line
    of it starts with ``::``."""
    if encoded.isascii():
        # JSON escapes every control but DEL: two substring scans, no per-character test.
        if "\x7f" not in encoded and _OLD_COMMAND not in encoded:
            return encoded
        if "\x7f" in encoded:
            encoded = encoded.replace("\x7f", "\\u007f")
    else:
        try:
            encoded.encode("utf-8")
        except UnicodeEncodeError:
            encoded = _decoded(encoded)
        encoded = _JSON_UNSAFE.sub(_json_escaped, encoded)
    # Outside a string JSON has no ``#``, so this touches string contents only.
    return encoded.replace(_OLD_COMMAND, "#\\u0023[")


def redact(url: str) -> str:
    """The URL as shown to people: credentials as ``***``, inert, and not endless.

    ``https://u:p@host/`` becomes ``https://***@host/``. Works on text that is not a valid URL
    too, since invalid lines are reported as well: undecodable bytes become U+FFFD, control
    characters and bidirectional overrides are percent-encoded (:func:`for_terminal_url`),
    and a very long line is cut with an ellipsis.
    """
    if "@" not in url and url.isascii() and url.isprintable() and len(url) <= _SHOWN_CHARS:
        return url  # the common case, on every result: nothing to hide or replace
    shown = _without_credentials(url)
    if not (shown.isascii() and shown.isprintable()):
        if not shown.isascii():
            shown = _decoded(shown)
        shown = _UNSAFE_IN_URL.sub(_percent_encoded, shown)
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
