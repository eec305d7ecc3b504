"""What a run leaves for the rest of a GitHub Actions job: the counts as step outputs (in every
format), and the markdown report in the step summary (``--format github``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fetchall.formats.base import Formatter
    from fetchall.formats.github import GitHubFormat
    from fetchall.models import Summary


def publish_to_github(formatter: Formatter, summary: Summary, environ: Mapping[str, str]) -> None:
    """Append ``ok=``, ``failed=``, ``cancelled=``, ``total=`` and ``warnings=`` to
    ``$GITHUB_OUTPUT`` whatever the format, and, for ``--format github``, the markdown report
    to ``$GITHUB_STEP_SUMMARY``; each only when its variable is set.

    Appended, never overwritten: earlier steps (and earlier runs in this step) wrote there too.
    """
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    outputs_path = environ.get("GITHUB_OUTPUT")
    if not (summary_path or outputs_path):
        return
    # Imported only when a runner asks for it: a run outside GitHub Actions never needs them.
    from fetchall.formats.github import GitHubFormat, github_outputs  # noqa: PLC0415

    if isinstance(formatter, GitHubFormat) and summary_path:
        _append_step_summary(summary_path, formatter, summary)
    if outputs_path:
        append_lines(outputs_path, github_outputs(summary))


def append_lines(path: str, lines: str) -> None:
    """Append ``lines`` to the file at ``path``, starting on a line of their own.

    An earlier step may have written ``name=value`` without a final newline; the runner reads
    the file line by line, so ``ok=1`` glued to that line would be lost in its value.
    """
    with open(path, "a+b") as file:
        if file.seek(0, os.SEEK_END) > 0:
            file.seek(-1, os.SEEK_END)
            if file.read(1) != b"\n":
                lines = "\n" + lines
        # Opened for appending: the write goes to the end wherever the reads left the offset.
        file.write(lines.encode("utf-8"))


def _append_step_summary(path: str, formatter: GitHubFormat, summary: Summary) -> None:
    """Append the report set apart by a blank line from what the file holds, so that both
    render, within the summary's byte budget less what the file already holds."""
    from fetchall.formats.markdown import MAX_BYTES  # noqa: PLC0415

    with open(path, "a+b") as summary_file:
        held = summary_file.tell()
        separator = b""
        if held:  # as many line breaks as make a blank line after what the file ends with
            summary_file.seek(max(0, held - 2))
            tail = summary_file.read(2)
            separator = b"\n\n"[: 2 - (len(tail) - len(tail.rstrip(b"\n")))]
        report = formatter.step_summary(summary, max_bytes=MAX_BYTES - held - len(separator))
        if report:
            summary_file.write(separator + report.encode("utf-8"))
