"""Output formats, one module each, chosen by name from one registry (:class:`Format`).

A new format is a module here whose ``formatter(mode, context)`` returns a
:class:`~fetchall.formats.base.Formatter`, and one line in :class:`Format`: the command line,
``--report`` and the library take it from there.
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    # Only for annotations: ``--help`` reads the registry without loading the models.
    from fetchall.formats.base import Formatter
    from fetchall.models import Mode

__all__ = ["Format", "FormatContext", "FormatterFactory"]


@dataclass(frozen=True, slots=True)
class FormatContext:
    """What a run knows that shapes its output; each format takes what it uses: ``quiet`` and
    ``color`` for lines people read, ``workspace`` (GitHub's ``GITHUB_WORKSPACE``, the CI
    checkout) and ``cwd`` (where relative input paths were given from) to place annotations."""

    quiet: bool = False
    color: bool = False
    workspace: str | None = None
    cwd: str | None = None


class FormatterFactory(Protocol):
    """The ``formatter`` function of a format's module: a fresh formatter for one run."""

    def __call__(self, mode: Mode, context: FormatContext, /) -> Formatter: ...


class Format(enum.StrEnum):
    """The ``--format`` choices: one line per format is the format's whole registration.

    The value names the module (``fetchall.formats.<value>``), imported when the format is
    first chosen so that ``--help`` stays quick. ``files=False`` keeps a format out of
    ``--report``: its output means something only where it is printed.
    """

    TEXT = "text"
    JSONL = "jsonl"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    GITHUB = "github", False

    for_reports: bool
    """Whether ``--report FORMAT:PATH`` takes this format."""

    def __new__(cls, value: str, files: bool = True) -> Format:
        member = str.__new__(cls, value)
        member._value_ = value
        member.for_reports = files
        return member

    def formatter(self, mode: Mode, context: FormatContext | None = None) -> Formatter:
        """A fresh formatter of this format for one run."""
        module = importlib.import_module(f"fetchall.formats.{self.value}")
        factory = cast(FormatterFactory, module.formatter)
        return factory(mode, context or FormatContext())
