"""Output formats, one module each, chosen by name (contract §7)."""

from __future__ import annotations

import enum
from typing import assert_never

from fetchall.formats.base import Formatter
from fetchall.formats.json import JsonFormat
from fetchall.formats.jsonl import JsonLinesFormat
from fetchall.formats.junit import JUnitFormat
from fetchall.formats.text import TextFormat
from fetchall.models import Mode

__all__ = ["Format", "Formatter", "JUnitFormat", "JsonFormat", "JsonLinesFormat", "TextFormat"]


class Format(enum.StrEnum):
    """The ``--format`` choices."""

    TEXT = "text"
    JSONL = "jsonl"
    JSON = "json"
    JUNIT = "junit"

    def formatter(self, mode: Mode, *, quiet: bool = False, color: bool = False) -> Formatter:
        """A fresh formatter of this format for one run."""
        if self is Format.TEXT:
            return TextFormat(mode, quiet=quiet, color=color)
        if self is Format.JSONL:
            return JsonLinesFormat(mode)
        if self is Format.JSON:
            return JsonFormat(mode)
        if self is Format.JUNIT:
            return JUnitFormat(mode)
        assert_never(self)
