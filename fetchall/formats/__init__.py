"""Output formats, one module each, chosen by name.

Each format's module is imported when it is first chosen, so that ``--help`` stays quick.
"""

from __future__ import annotations

import enum
import importlib
from typing import TYPE_CHECKING, Any, cast

from fetchall.formats.base import Formatter
from fetchall.models import Mode

if TYPE_CHECKING:
    from fetchall.formats.json import JsonFormat
    from fetchall.formats.jsonl import JsonLinesFormat
    from fetchall.formats.junit import JUnitFormat
    from fetchall.formats.text import TextFormat

__all__ = ["Format", "Formatter", "JUnitFormat", "JsonFormat", "JsonLinesFormat", "TextFormat"]

_CLASSES = {
    "text": ("fetchall.formats.text", "TextFormat"),
    "jsonl": ("fetchall.formats.jsonl", "JsonLinesFormat"),
    "json": ("fetchall.formats.json", "JsonFormat"),
    "junit": ("fetchall.formats.junit", "JUnitFormat"),
}


class Format(enum.StrEnum):
    """The ``--format`` choices."""

    TEXT = "text"
    JSONL = "jsonl"
    JSON = "json"
    JUNIT = "junit"

    def formatter(self, mode: Mode, *, quiet: bool = False, color: bool = False) -> Formatter:
        """A fresh formatter of this format for one run."""
        module, name = _CLASSES[self.value]
        cls: Any = getattr(importlib.import_module(module), name)
        if self is Format.TEXT:
            return cast(Formatter, cls(mode, quiet=quiet, color=color))
        return cast(Formatter, cls(mode))


def __getattr__(name: str) -> Any:
    for module, class_name in _CLASSES.values():
        if class_name == name:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'fetchall.formats' has no attribute {name!r}")
