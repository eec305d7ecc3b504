"""The counts reach ``GITHUB_OUTPUT`` whatever ``--format`` prints (a merge included), on lines
of their own; the step summary stays ``--format github``'s."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.fault_server import FaultServer

from fetchall.formats import Format

COUNTS = "ok=1\nfailed=1\ncancelled=0\ntotal=2\nwarnings=0\n"


def _url_list(server: FaultServer, tmp_path: Path) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{server.url('/ok')}\n{server.url('/status/404')}\n", encoding="utf-8")
    return listing


@pytest.mark.parametrize("format_name", [f.value for f in Format])
def test_every_format_appends_the_counts(
    server: FaultServer, tmp_path: Path, format_name: str
) -> None:
    """One ok and one 404: the four counts, after what an earlier step wrote."""
    outputs = tmp_path / "outputs"
    outputs.write_text("earlier=1\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = invoke(
        ["--format", format_name, str(_url_list(server, tmp_path))],
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert result.exit_code == 1, result.output
    assert outputs.read_text(encoding="utf-8") == "earlier=1\n" + COUNTS
    # Only --format github writes the step summary: another format may be what the step
    # prints on purpose, and a second copy of a report there would be noise.
    assert summary.exists() is (format_name == "github")


@pytest.mark.parametrize("format_name", [f.value for f in Format])
def test_a_merge_appends_the_merged_counts(
    server: FaultServer, tmp_path: Path, format_name: str
) -> None:
    """Two shards' jsonl reports merged: the counts of the whole run, in every format."""
    listing = _url_list(server, tmp_path)
    shards = [tmp_path / f"shard-{k}.jsonl" for k in (1, 2)]
    for k, shard in enumerate(shards, start=1):
        made = invoke(
            [str(listing), "--shard", f"{k}/2", "--report", f"jsonl:{shard}"], GITHUB_OUTPUT=None
        )
        assert made.exit_code in (0, 1), made.output
    outputs = tmp_path / "outputs"
    result = invoke(
        ["--merge", *map(str, shards), "--format", format_name], GITHUB_OUTPUT=str(outputs)
    )
    assert result.exit_code == 1, result.output
    assert outputs.read_text(encoding="utf-8") == COUNTS


def test_the_counts_start_on_a_line_of_their_own(server: FaultServer, tmp_path: Path) -> None:
    """An earlier ``name=value`` without its newline keeps its value; ``ok=`` is a line."""
    outputs = tmp_path / "outputs"
    outputs.write_bytes(b"earlier=1")
    result = invoke(["--format", "jsonl", server.url("/ok")], GITHUB_OUTPUT=str(outputs))
    assert result.exit_code == 0, result.output
    assert outputs.read_text(encoding="utf-8") == (
        "earlier=1\nok=1\nfailed=0\ncancelled=0\ntotal=1\nwarnings=0\n"
    )


def test_an_empty_file_gets_no_blank_line(server: FaultServer, tmp_path: Path) -> None:
    """The runner's fresh, empty file: the counts are its first line."""
    outputs = tmp_path / "outputs"
    outputs.touch()
    result = invoke([server.url("/ok")], GITHUB_OUTPUT=str(outputs))
    assert result.exit_code == 0, result.output
    assert (
        outputs.read_text(encoding="utf-8") == "ok=1\nfailed=0\ncancelled=0\ntotal=1\nwarnings=0\n"
    )


def test_a_usage_error_appends_nothing(tmp_path: Path) -> None:
    """No run, no counts: a later step sees empty outputs rather than made-up zeros."""
    outputs = tmp_path / "outputs"
    outputs.touch()
    result = invoke(["--limit", "0", "http://127.0.0.1:1/"], GITHUB_OUTPUT=str(outputs))
    assert result.exit_code == 2, result.output
    assert outputs.read_text(encoding="utf-8") == ""
