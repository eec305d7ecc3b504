"""The markdown report appended to GitHub's step summary: apart from what the file holds, and
within the summary's byte budget counting it."""

from __future__ import annotations

from pathlib import Path

from support.results import make_result, summary_of

from fetchall.cli.github import publish_to_github
from fetchall.formats.github import GitHubFormat
from fetchall.formats.markdown import MAX_BYTES
from fetchall.models import ErrorKind, Mode

_RESULTS = [
    make_result("https://a/", 0),
    make_result("https://b/", 1, status=404, error=(ErrorKind.HTTP_STATUS, "HTTP 404")),
]


def _publish(summary_file: Path) -> None:
    github = GitHubFormat(Mode.INDEPENDENT)
    for result in _RESULTS:
        github.result(result)
    summary = summary_of(_RESULTS, Mode.INDEPENDENT, elapsed_s=1.0)
    publish_to_github(github, summary, {"GITHUB_STEP_SUMMARY": str(summary_file)})


def test_two_reports_are_set_apart(tmp_path: Path) -> None:
    """A second report after the first's ``</details>`` starts after a blank line, so it
    renders as Markdown rather than as the end of an HTML block."""
    path = tmp_path / "summary.md"
    _publish(path)
    _publish(path)
    text = path.read_text(encoding="utf-8")
    assert "</details>\n\n## ❌ fetchall:" in text
    assert text.endswith("</details>\n\n")


def test_text_without_a_final_newline_is_set_apart(tmp_path: Path) -> None:
    """What another step wrote, without a final newline, gets a blank line after it."""
    path = tmp_path / "summary.md"
    path.write_text("<details><summary>theirs</summary>\n\nx", encoding="utf-8")
    _publish(path)
    assert "\nx\n\n## ❌ fetchall:" in path.read_text(encoding="utf-8")


def test_budget_counts_what_the_file_holds(tmp_path: Path) -> None:
    """A file nearly full: the report fits in what is left, so the file stays under the
    budget; with less left, only the heading and where the report is."""
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * (MAX_BYTES - 2_000) + b"\n")
    _publish(path)
    assert path.stat().st_size < MAX_BYTES
    assert "`https://b/`" in path.read_text(encoding="utf-8")

    path.write_bytes(b"x" * (MAX_BYTES - 300) + b"\n")
    _publish(path)
    tail = path.read_bytes()[MAX_BYTES - 299 :].decode("utf-8")
    assert path.stat().st_size < MAX_BYTES
    assert tail.startswith("\n## ❌ fetchall: 1 ok, 1 failed")
    assert "the job's other outputs" in tail
    assert "https://" not in tail


def test_full_file_gets_nothing(tmp_path: Path) -> None:
    """A file already at the budget is left as it was."""
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * MAX_BYTES)
    _publish(path)
    assert path.stat().st_size == MAX_BYTES
