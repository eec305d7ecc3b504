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
    from fetchall.formats.github import GitHubFormat
    from fetchall.formats.json import JsonFormat
    from fetchall.formats.jsonl import JsonLinesFormat
    from fetchall.formats.junit import JUnitFormat
    from fetchall.formats.markdown import MarkdownFormat
    from fetchall.formats.text import TextFormat

__all__ = [
    "Format",
    "Formatter",
    "GitHubFormat",
    "JUnitFormat",
    "JsonFormat",
    "JsonLinesFormat",
    "MarkdownFormat",
    "TextFormat",
]

_CLASSES = {
    "text": ("fetchall.formats.text", "TextFormat"),
    "jsonl": ("fetchall.formats.jsonl", "JsonLinesFormat"),
    "json": ("fetchall.formats.json", "JsonFormat"),
    "junit": ("fetchall.formats.junit", "JUnitFormat"),
    "markdown": ("fetchall.formats.markdown", "MarkdownFormat"),
    "github": ("fetchall.formats.github", "GitHubFormat"),
}


class Format(enum.StrEnum):
    """The ``--format`` choices (``--report`` takes all but ``github``)."""

    TEXT = "text"
    JSONL = "jsonl"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    GITHUB = "github"

    def formatter(
        self,
        mode: Mode,
        *,
        quiet: bool = False,
        color: bool = False,
        workspace: str | None = None,
        cwd: str | None = None,
    ) -> Formatter:
        """A fresh formatter of this format for one run.

        ``quiet`` and ``color`` shape ``text``; ``workspace`` (the CI checkout, for GitHub
        ``GITHUB_WORKSPACE``) and ``cwd`` (the directory relative input paths were given
        from) place ``github``'s annotations; other formats ignore what they do not use.
        """
        module, name = _CLASSES[self.value]
        cls: Any = getattr(importlib.import_module(module), name)
        if self is Format.TEXT:
            return cast(Formatter, cls(mode, quiet=quiet, color=color))
        if self is Format.GITHUB:
            return cast(Formatter, cls(mode, workspace=workspace, cwd=cwd, color=color))
        return cast(Formatter, cls(mode))

    @property
    def for_reports(self) -> bool:
        """Whether ``--report FORMAT:PATH`` takes this format: ``github`` is for standard
        output only (its annotations mean nothing in a file)."""
        return self is not Format.GITHUB


def __getattr__(name: str) -> Any:
    for module, class_name in _CLASSES.values():
        if class_name == name:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'fetchall.formats' has no attribute {name!r}")
