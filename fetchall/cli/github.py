"""What ``--format github`` leaves for the rest of a GitHub Actions job: the markdown report in
the step summary, and the counts as step outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fetchall.formats.base import Formatter
    from fetchall.models import Summary


def publish_to_github(formatter: Formatter, summary: Summary, environ: Mapping[str, str]) -> None:
    """Append the markdown report to ``$GITHUB_STEP_SUMMARY`` and ``ok=``, ``failed=``,
    ``cancelled=``, ``total=`` to ``$GITHUB_OUTPUT``, for those that are set.

    Appended, never overwritten: earlier steps (and earlier runs in this step) wrote there too.
    """
    from fetchall.formats.github import GitHubFormat, github_outputs  # noqa: PLC0415

    assert isinstance(formatter, GitHubFormat), "only --format github publishes to GitHub"
    if path := environ.get("GITHUB_STEP_SUMMARY"):
        with open(path, "a", encoding="utf-8") as summary_file:
            summary_file.write(formatter.step_summary(summary))
    if path := environ.get("GITHUB_OUTPUT"):
        with open(path, "a", encoding="utf-8") as outputs:
            outputs.write(github_outputs(summary))
