"""``--format github`` as GitHub Actions runs it: annotations on stdout, the step summary and
the step outputs appended to the files the runner names."""

from __future__ import annotations

from pathlib import Path

from support.cli import invoke
from support.fault_server import FaultServer


def test_annotations_step_summary_and_outputs(server: FaultServer, tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    workspace.mkdir()
    listing = workspace / "smoke.txt"
    listing.write_text(f"{server.url('/ok')}\n{server.url('/status/404')} status=200\n")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    summary.write_text("# an earlier step\n")
    outputs.write_text("earlier=1\n")
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    for _ in range(2):  # a second run in the same step appends again
        result = invoke(["--format", "github", str(listing)], **env)
        assert result.exit_code == 1
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("::error file=smoke.txt,line=2,title=fetchall 404::")
    assert first_line.endswith(server.url("/status/404"))
    markdown = summary.read_text()
    assert markdown.startswith("# an earlier step\n")
    assert markdown.count("http_status") >= 2
    assert (
        outputs.read_text()
        == "earlier=1\n" + "ok=1\nfailed=1\ncancelled=0\ntotal=2\nwarnings=0\n" * 2
    )


def test_without_the_runner_files_nothing_else_is_written(
    server: FaultServer, tmp_path: Path
) -> None:
    result = invoke(
        ["--format", "github", server.url("/ok")],
        GITHUB_STEP_SUMMARY=None,
        GITHUB_OUTPUT=None,
    )
    assert result.exit_code == 0
    assert "1 ok, 0 failed, 0 cancelled" in result.stdout
    assert list(tmp_path.iterdir()) == []
