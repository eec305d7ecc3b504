"""The CI and Kubernetes examples only use options that ``fetchall --help`` lists, and the CI
files are valid for the services that read them.

The examples are not run here (they need GitHub, GitLab or a cluster), but every ``fetchall``
command line in them (``run:`` steps, ``script:`` lines, container commands, and the commands
their comments tell you to type) is read and its options checked against the real command, so
that renaming an option cannot leave the examples behind. The GitHub workflows and the GitLab
pipeline are validated against the schemas check-jsonschema ships (no network needed).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from support.cli import invoke

from fetchall.formats import Format

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = {
    "github-actions/smoke.yml": {"--retries", "--report"},
    "github-actions/sharded.yml": {"--shard", "--merge", "--format", "--report"},
    "github-actions/post-deploy.yml": {"--wait", "--report"},
    "gitlab-ci/.gitlab-ci.yml": {"--wait", "--report"},
    "kubernetes/indexed-job.yaml": {"--shard", "--merge", "--format", "--report"},
}
ACTION = "OWNER/fetchall@v0.1.0"
"""How the workflows use fetchall: the action at a release tag (OWNER: who hosts it)."""
_OPTION = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*")
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")


def help_options() -> set[str]:
    """Every option name (long and short) in ``fetchall --help``."""
    result = invoke(["--help"])
    assert result.exit_code == 0, result.output
    # An option line starts with its names; two spaces part them from the description.
    names = [line.strip().split("  ", 1)[0] for line in result.stdout.splitlines()]
    return {match[0] for text in names if text.startswith("-") for match in _OPTION.finditer(text)}


def example_commands(name: str) -> list[list[str]]:
    """The words of every fetchall command in the example ``name``: command lines, and the
    ``args`` of each step that uses the fetchall action."""
    path = EXAMPLES / name
    commands = fetchall_commands(path.read_text(encoding="utf-8"))
    return commands + (action_commands(path) if path.suffix == ".yml" else [])


def action_commands(workflow: Path) -> list[list[str]]:
    """The ``args`` of each step of ``workflow`` that uses the fetchall action, split into
    words as the action splits them, with ``${{ matrix.shard }}`` as 1."""
    loaded = YAML(typ="safe").load(workflow.read_text(encoding="utf-8"))
    steps = [step for job in loaded.get("jobs", {}).values() for step in job.get("steps", [])]
    return [
        shlex.split(re.sub(r"\$\{\{\s*matrix\.shard\s*\}\}", "1", step["with"]["args"]))
        for step in steps
        if step.get("uses", "").startswith("OWNER/fetchall@")
    ]


def fetchall_commands(text: str) -> list[list[str]]:
    """The words of every ``fetchall`` command line in ``text``, up to a redirection or a
    comment; commands may sit in YAML ``run:`` steps, list items or comments."""
    commands = []
    for line in _joined_continuations(text):
        stripped = line.strip()
        if stripped.startswith("#"):
            comment = stripped.lstrip("#")
            if not comment.startswith("  "):
                continue  # prose; commands in comments are indented, as in a README
            stripped = comment
        stripped = stripped.strip().removeprefix("- ").strip()
        stripped = stripped.removeprefix("run:").strip()
        for segment in re.split(r"&&|\|\||[;|]", stripped):
            words = segment.split()
            while words and (words[0] in {"exec", "time"} or _ENV_ASSIGNMENT.fullmatch(words[0])):
                words.pop(0)
            if words[:3] == ["python", "-m", "fetchall"]:
                words = words[2:]
            if not words or words[0] != "fetchall":
                continue
            kept = []
            for word in words[1:]:
                if word.startswith(("#", ">", "2>", "<")):
                    break
                kept.append(word)
            commands.append(kept)
    return commands


def _joined_continuations(text: str) -> list[str]:
    """The lines of ``text``, a line ending in ``\\`` joined with the next as a shell does."""
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + (line.strip() if pending else line))
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def options_of(words: list[str]) -> list[str]:
    """The option names among a command's words (``--x=1`` counts as ``--x``)."""
    return [word.split("=", 1)[0] for word in words if _OPTION.fullmatch(word.split("=", 1)[0])]


def value_after(words: list[str], option: str) -> list[str]:
    """Every value given to ``option`` in a command's words."""
    values = [words[i + 1] for i, word in enumerate(words[:-1]) if word == option]
    return values + [word.split("=", 1)[1] for word in words if word.startswith(option + "=")]


class TestHelper:
    def test_help_options_are_read(self) -> None:
        """The help parser finds the long and short options, negated flags included."""
        options = help_options()
        assert {"--shard", "--merge", "--format", "--limit", "--no-progress"} <= options
        assert {"-q", "-v", "-H", "-X", "-h"} <= options

    def test_commands_are_found_only_where_fetchall_runs(self) -> None:
        """Commands in run steps, after exec and indented in comments count; pip installs,
        names and prose do not."""
        text = (
            "      - run: fetchall urls.txt --limit 5 > out.txt\n"
            "        pip install --quiet fetchall && exec fetchall a.txt --shard 4\n"
            "#   fetchall --merge a b  # or --bogus\n"
            "# fetchall exits 1 when --bogus fails\n"
            "  name: fetchall\n"
            "  kubectl logs -l job-name=fetchall --tail=-1\n"
            "  FETCHALL_LIMIT=3 python -m fetchall -q x\n"
            "          fetchall smoke.txt --wait 2m \\\n"
            "            --format github --report junit:r.xml\n"
        )
        assert fetchall_commands(text) == [
            ["urls.txt", "--limit", "5"],
            ["a.txt", "--shard", "4"],
            ["--merge", "a", "b"],
            ["-q", "x"],
            ["smoke.txt", "--wait", "2m", "--format", "github", "--report", "junit:r.xml"],
        ]


@pytest.mark.parametrize("name", sorted(EXAMPLE_FILES))
class TestExampleFiles:
    def test_every_option_is_a_real_one(self, name: str) -> None:
        """Each fetchall command in the example uses only options from --help."""
        commands = example_commands(name)
        assert commands, f"no fetchall command found in {name}"
        known = help_options()
        for words in commands:
            unknown = [option for option in options_of(words) if option not in known]
            assert not unknown, f"{name}: fetchall {' '.join(words)}: unknown {unknown}"

    def test_the_features_it_shows_are_there(self, name: str) -> None:
        """The example still shows what it is for (the options named in EXAMPLE_FILES)."""
        commands = example_commands(name)
        used = {option for words in commands for option in options_of(words)}
        assert EXAMPLE_FILES[name] <= used

    def test_option_values_are_valid(self, name: str) -> None:
        """--format names a real format, --report a file format and a path, and --shard is
        K/N, N or a CI expression of them."""
        formats = {f.value for f in Format}
        report_formats = {f.value for f in Format if f.for_reports}
        for words in example_commands(name):
            assert set(value_after(words, "--format")) <= formats, words
            for spec in value_after(words, "--report"):
                report_format, _, path = spec.strip('"').partition(":")
                assert report_format in report_formats, words
                assert path, words
            for spec in value_after(words, "--shard"):
                assert re.fullmatch(r"\d+(/\d+)?|\$\{\{", spec), words

    def test_it_installs_this_fetchall(self, name: str) -> None:
        """The GitHub workflows use the action at a tag; elsewhere pip installs this project
        from its Git repository at a tag, never the unrelated "fetchall" on PyPI."""
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        installs = [
            word
            for line in _joined_continuations(text)
            if "pip install" in line
            for word in shlex.split(line.split("pip install", 1)[1])
            if not word.startswith(("-", ">"))
        ]
        if name.startswith("github-actions/"):
            assert f"uses: {ACTION}" in text
            assert installs == []
        else:
            assert installs == ["fetchall @ git+https://github.com/OWNER/fetchall@v0.1.0"]
            assert "-slim" not in text, "pip needs git, which the slim images lack"

    def test_no_tabs_and_a_final_newline(self, name: str) -> None:
        """YAML forbids tabs for indentation; the file ends with a newline."""
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert "\t" not in text
        assert text.endswith("\n")


def _check_jsonschema(schema: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema run on ``paths`` with one of the schemas it ships (so no download)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestSchemas:
    """The CI files validate against the schemas of the services that read them."""

    def test_github_workflows(self) -> None:
        """Every workflow in examples/github-actions is a valid GitHub workflow."""
        workflows = sorted((EXAMPLES / "github-actions").glob("*.yml"))
        assert len(workflows) >= 3
        checked = _check_jsonschema("vendor.github-workflows", workflows)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    def test_gitlab_pipeline(self) -> None:
        """The GitLab example is a valid .gitlab-ci.yml."""
        checked = _check_jsonschema("vendor.gitlab-ci", [EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml"])
        assert checked.returncode == 0, checked.stdout + checked.stderr

    def test_an_invalid_workflow_is_refused(self, tmp_path: Path) -> None:
        """The validation can fail: a job with a misspelt key is reported."""
        broken = tmp_path / "broken.yml"
        broken.write_text(
            "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n",
            encoding="utf-8",
        )
        checked = _check_jsonschema("vendor.github-workflows", [broken])
        assert checked.returncode == 1
        assert "'stepz' was unexpected" in checked.stdout
