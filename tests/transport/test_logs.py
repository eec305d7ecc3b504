"""Log lines on standard error are inert, tracebacks and stacks included: asyncio and other
libraries log through the same handler, and an exception's text may quote a server."""

from __future__ import annotations

import io
import logging

from fetchall.transport.logs import stderr_handler


def test_a_traceback_and_a_stack_are_inert_line_by_line() -> None:
    """A record's message, its traceback and its stack keep their lines, with a server's
    escape sequences and workflow commands made inert in each."""
    stream = io.StringIO()
    logger = logging.getLogger("fetchall.tests.logs")
    logger.propagate = False
    logger.addHandler(stderr_handler(stream))
    try:
        try:
            raise ValueError("reason \x1b[2J ##[stop-commands]tok")
        except ValueError:
            logger.error("failed \x1b]0;title\x07", exc_info=True, stack_info=True)
    finally:
        logger.handlers.clear()
    text = stream.getvalue()
    assert text.startswith("fetchall: failed \\x1b]0;title\\x07\n")
    assert "ValueError: reason \\x1b[2J #\u200b#[stop-commands]tok" in text
    assert "Stack (most recent call last):" in text
    assert "\x1b" not in text
    assert "##[" not in text
    assert text.count("\n") > 3  # the traceback and the stack keep their lines
