"""What ``--format github`` leaves for the rest of a GitHub Actions job: the markdown report in
the step summary, and the counts as step outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fetchall.formats.base import Formatter
    from fetchall.formats.github import GitHubFormat
    from fetchall.models import Summary


def publish_to_github(formatter: Formatter, summary: Summary, environ: Mapping[str, str]) -> None:
    """Append the markdown report to ``$GITHUB_STEP_SUMMARY`` and ``ok=``, ``failed=``,
    ``cancelled=``, ``total=`` to ``$GITHUB_OUTPUT``, for those that are set.

    Appended, never overwritten: earlier steps (and earlier runs in this step) wrote there too.
    """
    from fetchall.formats.github import GitHubFormat, github_outputs  # noqa: PLC0415

    assert isinstance(formatter, GitHubFormat), "only --format github publishes to GitHub"
    if path := environ.get("GITHUB_STEP_SUMMARY"):
        _append_step_summary(path, formatter, summary)
    if path := environ.get("GITHUB_OUTPUT"):
        with open(path, "a", encoding="utf-8") as outputs:
            outputs.write(github_outputs(summary))


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
