"""Log lines on standard error (``-v``'s retries and redirects, warnings), made inert.

The transport logs through :mod:`logging` with text a server chose (a reason phrase, a
``Location``); whatever a record holds, the line the handler writes is made inert here, once,
for every logger, rather than at each call that logs. The command and its worker processes
both log through :func:`stderr_handler`.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TextIO

from fetchall.shown import for_lines, for_terminal

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

LOG_FORMAT = "fetchall: %(message)s"


class InertFormatter(logging.Formatter):
    """A formatter whose every line is safe for a terminal and a CI runner: the message on one
    line with controls escaped and workflow commands inert (:func:`~fetchall.shown.for_terminal`),
    a traceback line by line (:func:`~fetchall.shown.for_lines`)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's line, inert: one record is one line."""
        return for_terminal(super().formatMessage(record))

    def formatException(self, ei: _ExcInfo) -> str:
        """A traceback, inert line by line (an exception's text may quote a server)."""
        return for_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        """A stack, inert line by line."""
        return for_lines(super().formatStack(stack_info))


def stderr_handler(stream: TextIO) -> logging.Handler:
    """The handler the command logs through: ``fetchall: MESSAGE`` lines on ``stream``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(InertFormatter(LOG_FORMAT))
    return handler
