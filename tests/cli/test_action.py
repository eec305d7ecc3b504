"""The GitHub Action in ``action.yml``, run offline as the runner runs a composite action.

Its ``shell: bash`` steps run for real, as the runner runs them, in a workspace of their own,
against URLs on 127.0.0.1; the ``uses:`` steps (actions/setup-python, actions/cache) need
GitHub, so stand-ins take their place and the tests check when the action calls them and with
what. The install step runs its own command too, creating the virtual environment and building
fetchall from this checkout with pip; only pip's access to the package index is replaced, by
pip's own settings in the job's environment: no index, no dependencies, no build isolation,
and the packages of the environment running these tests (hatchling, aiohttp, ...) on
PYTHONPATH. That costs about six seconds once: the environment it builds is "cached" by the
stand-ins and restored for the later runs, as actions/cache would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.action_runner import (
    ActionRun,
    ActionRunner,
    clean_environment,
    condition,
    evaluate,
    load_action,
    read_outputs,
    render,
)
from support.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"


@dataclass
class StandIns:
    """actions/setup-python and actions/cache, as far as this action sees them."""

    store: Path
    setups: list[dict[str, str]] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)

    def setup_python(self, given: dict[str, str]) -> dict[str, str]:
        # The Python it would install: the one running the tests.
        self.setups.append(given)
        return {"python-path": sys.executable, "python-version": given["python-version"]}

    def restore(self, given: dict[str, str]) -> dict[str, str]:
        kept = self.store / given["key"]
        if not kept.exists():
            return {"cache-hit": "false", "cache-primary-key": given["key"]}
        shutil.copytree(kept, given["path"], symlinks=True, copy_function=os.link)
        return {"cache-hit": "true", "cache-primary-key": given["key"]}

    def save(self, given: dict[str, str]) -> dict[str, str]:
        self.saved.append(given["key"])
        shutil.copytree(
            given["path"], self.store / given["key"], symlinks=True, copy_function=os.link
        )
        return {}


@dataclass
class Harness:
    """Runs the action in a fresh job each time: a new workspace, an empty runner temp (at the
    same path, as a virtual environment restored from the cache must be where it was made)."""

    root: Path
    stand_ins: StandIns
    python3: Path
    """The directory whose ``python3`` the action finds on PATH."""

    def run(
        self,
        workspace: Path,
        *,
        until: str | None = None,
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> ActionRun:
        """Run the action with ``inputs``; ``env`` is added to the job's environment."""
        temp = self.root / "runner-temp"
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        site = dict.fromkeys(sysconfig.get_paths()[name] for name in ("purelib", "platlib"))
        env = clean_environment(
            PATH=f"{self.python3}{os.pathsep}{os.environ['PATH']}",
            PYTHONPATH=os.pathsep.join(site),
            PIP_NO_INDEX="1",
            PIP_NO_DEPS="1",
            # pip reads a --no-X flag's variable backwards: 0 turns build isolation off.
            PIP_NO_BUILD_ISOLATION="0",
            PIP_CONFIG_FILE=os.devnull,
            **(env or {}),
        )
        runner = ActionRunner(
            action_path=ROOT,
            workspace=workspace,
            runner_temp=temp,
            env=env,
            uses={
                "actions/setup-python@v5": self.stand_ins.setup_python,
                "actions/cache/restore@v4": self.stand_ins.restore,
                "actions/cache/save@v4": self.stand_ins.save,
            },
        )
        return runner.run(inputs, until=until)


def _python3_dir(path: Path, script: str) -> Path:
    path.mkdir(parents=True)
    python3 = path / "python3"
    python3.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    python3.chmod(0o755)
    return path


@pytest.fixture(name="harness", scope="module")
def _harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    root = tmp_path_factory.mktemp("action")
    store = root / "cache"
    store.mkdir()
    # The runner's python3: a wrapper of the Python running the tests (3.11 or later).
    python3 = _python3_dir(root / "bin", f'exec "{sys.executable}" "$@"')
    return Harness(root, StandIns(store), python3)


@pytest.fixture(name="first_run", scope="module")
def _first_run(
    harness: Harness, fault_server: FaultServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ActionRun, Path]:
    """The first run, which finds no cache: an ok URL and a 404 from a URL file."""
    workspace = tmp_path_factory.mktemp("first-workspace")
    (workspace / "smoke.txt").write_text(
        f"# checked by the action\n{fault_server.url('/ok')}\n"
        f"{fault_server.url('/status/404')} status=200\n",
        encoding="utf-8",
    )
    return harness.run(workspace, args="smoke.txt"), workspace


@pytest.fixture(name="workspace")
def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return workspace


def _counts(*, ok: int, failed: int, total: int) -> dict[str, str]:
    """The action's outputs for a run with these counts, no warning and nothing cancelled."""
    counts = {"ok": ok, "failed": failed, "warnings": 0, "cancelled": 0, "total": total}
    return {name: str(count) for name, count in counts.items()}


def _annotations(run: ActionRun) -> list[str]:
    return [line for line in run.step("run").stdout.splitlines() if line.startswith("::")]


class TestFirstRun:
    """No cache yet: the action installs fetchall, saves its environment, and checks."""

    def test_the_step_fails_as_fetchall_does(self, first_run: tuple[ActionRun, Path]) -> None:
        run, _ = first_run
        assert run.returncode == 1, run.step("run").stderr
        assert run.step("run").returncode == 1

    def test_failures_are_annotations_on_their_lines(
        self, first_run: tuple[ActionRun, Path], fault_server: FaultServer
    ) -> None:
        run, _ = first_run
        assert _annotations(run) == [
            "::error file=smoke.txt,line=3,title=fetchall 404::"
            f"HTTP 404 Not Found {fault_server.url('/status/404')}"
        ]
        assert (
            run.step("run")
            .stdout.rstrip()
            .splitlines()[-1]
            .startswith("1 ok, 1 failed, 0 cancelled in ")
        )

    def test_the_report_is_in_the_job_summary(self, first_run: tuple[ActionRun, Path]) -> None:
        run, _ = first_run
        assert run.summary.startswith("## ❌ fetchall: 1 ok, 1 failed, 0 cancelled in ")
        assert "smoke.txt:3" in run.summary

    def test_the_outputs_are_the_counts(self, first_run: tuple[ActionRun, Path]) -> None:
        run, _ = first_run
        assert run.outputs == {
            "ok": "1",
            "failed": "1",
            "warnings": "0",
            "cancelled": "0",
            "total": "2",
        }

    def test_it_uses_the_runners_python3_and_installs_once(
        self, first_run: tuple[ActionRun, Path], harness: Harness
    ) -> None:
        run, _ = first_run
        assert run.step("python").outputs == {"setup": "false", "path": sys.executable}
        assert not run.step("setup-python").ran
        assert run.step("cache").ran
        assert run.step("cache").outputs["cache-hit"] == "false"
        assert run.step("Install fetchall").ran
        assert run.step("Install fetchall").returncode == 0, run.step("Install fetchall").stderr
        key = run.step("venv").outputs["key"]
        assert key.startswith("fetchall-venv-Linux-X64-")
        assert harness.stand_ins.saved[:1] == [key]

    def test_fetchall_ran_from_the_environment_it_built(
        self, first_run: tuple[ActionRun, Path], harness: Harness
    ) -> None:
        """The environment holds fetchall as pip installed it from the action's files, not
        a link back to this checkout."""
        run, _ = first_run
        kept = harness.stand_ins.store / run.step("venv").outputs["key"]
        installed = list(kept.glob("lib/python3*/site-packages/fetchall/cli/github.py"))
        assert len(installed) == 1
        assert installed[0].read_bytes() == (ROOT / "fetchall/cli/github.py").read_bytes()
        assert (kept / "bin/fetchall").exists()

    def test_the_workspace_is_left_alone(self, first_run: tuple[ActionRun, Path]) -> None:
        _, workspace = first_run
        assert sorted(path.name for path in workspace.iterdir()) == ["smoke.txt"]


class TestLaterRuns:
    """The environment restored from the cache; what the arguments can say."""

    def test_a_cached_run_does_not_install(
        self,
        first_run: tuple[ActionRun, Path],
        harness: Harness,
        server: FaultServer,
        workspace: Path,
    ) -> None:
        run = harness.run(workspace, args=server.url("/ok"))
        assert run.returncode == 0, run.step("run").stderr
        assert run.step("cache").outputs["cache-hit"] == "true"
        assert run.step("venv").outputs == first_run[0].step("venv").outputs
        assert not run.step("Install fetchall").ran
        assert not run.step("Save fetchall's virtual environment").ran
        assert _annotations(run) == []
        assert run.outputs == {
            "ok": "1",
            "failed": "0",
            "warnings": "0",
            "cancelled": "0",
            "total": "1",
        }
        assert run.summary.startswith("## ✅ fetchall: 1 ok, 0 failed, 0 cancelled in ")

    def test_words_with_spaces_and_shell_syntax_are_passed_as_they_are(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        """Quotes group words; ``$(...)``, backquotes, ``;`` and ``&&`` stay text, on one line
        or spread over several."""
        (workspace / "urls.txt").write_text(
            server.url("/say?text=Hello%20world") + "\n", encoding="utf-8"
        )
        note = "$(touch pwned); `touch pwned2` && touch pwned3 | touch pwned4"
        run = harness.run(
            workspace,
            args=f'urls.txt\n  --expect \'body~"Hello world"\'\n  -H "X-Note: {note}"\n',
        )
        assert run.returncode == 0, run.step("run").stdout + run.step("run").stderr
        assert run.outputs["ok"] == "1"
        headers = [entry[3] for entry in server.request_log if entry[2].startswith("/say")]
        assert [sent.get("X-Note") for sent in headers] == [note]
        assert sorted(path.name for path in workspace.iterdir()) == ["urls.txt"]
        assert not list(harness.root.rglob("pwned*"))

    def test_a_check_with_spaces_can_fail(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        """The quoted check is one check: "Hello there" is not in the body."""
        url = server.url("/say?text=Hello%20world")
        run = harness.run(workspace, args=f"{url} --expect 'body~\"Hello there\"'")
        assert run.returncode == 1
        assert _annotations(run) == [
            # The message escapes % as a workflow command must.
            '::error title=fetchall expectation::body~"Hello there": not found '
            + url.replace("%", "%25")
        ]

    def test_a_format_in_args_replaces_github(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        """--format jsonl: jsonl on stdout, no annotations, no summary; the outputs all the
        same."""
        run = harness.run(
            workspace, args=f"--format=jsonl {server.url('/ok')} {server.url('/status/500')}"
        )
        assert run.returncode == 1
        rows = [json.loads(line) for line in run.step("run").stdout.splitlines()]
        assert sorted(row["status"] for row in rows) == [200, 500]
        assert run.summary == ""
        assert run.outputs == {
            "ok": "1",
            "failed": "1",
            "warnings": "0",
            "cancelled": "0",
            "total": "2",
        }

    def test_a_format_in_the_environment_replaces_github(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        """FETCHALL_FORMAT in the step's env names the format as --format would."""
        run = harness.run(workspace, env={"FETCHALL_FORMAT": "json"}, args=server.url("/ok"))
        assert run.returncode == 0, run.step("run").stderr
        assert json.loads(run.step("run").stdout)["summary"]["ok"] == 1
        assert run.summary == ""
        assert run.outputs == _counts(ok=1, failed=0, total=1)

    def test_a_merge_through_the_action(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        """Shards' reports merged by the action: annotations and outputs of the whole run."""
        listing = workspace / "urls.txt"
        listing.write_text(f"{server.url('/ok')}\n{server.url('/status/404')}\n", encoding="utf-8")
        for k in (1, 2):
            subprocess.run(
                [sys.executable, "-m", "fetchall", "urls.txt", "--shard", f"{k}/2",
                 "--report", f"jsonl:shard-{k}.jsonl", "-q"],
                cwd=workspace, env=clean_environment(), capture_output=True, check=False,
                timeout=30,
            )  # fmt: skip
        run = harness.run(workspace, args="--merge shard-1.jsonl shard-2.jsonl")
        assert run.returncode == 1, run.step("run").stderr
        assert [line.split("::")[1] for line in _annotations(run)] == [
            "error file=urls.txt,line=2,title=fetchall 404"
        ]
        assert run.outputs["total"] == "2"
        assert run.outputs["failed"] == "1"

    def test_unbalanced_quotes_fail_before_fetchall_runs(
        self, harness: Harness, server: FaultServer, workspace: Path
    ) -> None:
        run = harness.run(workspace, args=f"{server.url('/ok')} --expect 'body~ok")
        assert run.returncode == 1
        assert "::error title=fetchall::cannot split args into words: No closing quotation" in (
            run.step("run").stderr
        )
        assert server.total_requests == 0
        assert run.outputs == {"ok": "", "failed": "", "warnings": "", "cancelled": "", "total": ""}

    def test_a_usage_error_fails_the_step_with_status_2(
        self, harness: Harness, workspace: Path
    ) -> None:
        run = harness.run(workspace, args="--limit 0 http://127.0.0.1:1/")
        assert run.returncode == 2
        assert run.outputs["total"] == ""
        assert run.outputs["warnings"] == ""


class TestPythonChoice:
    """actions/setup-python runs only when python-version is given or python3 is too old."""

    def test_an_old_python3_is_not_used(self, harness: Harness, workspace: Path) -> None:
        # What a Python older than 3.11 does with the version check: exit 1.
        old = _python3_dir(workspace / "old-bin", "exit 1")
        run = Harness(harness.root, harness.stand_ins, old).run(workspace, until="venv", args="x")
        assert run.returncode == 0, run.step("venv").stderr
        assert run.step("python").outputs == {"setup": "true"}
        assert run.step("setup-python").with_ == {
            "python-version": "3.12",
            "update-environment": "false",
        }
        assert run.step("venv").env["PYTHON"] == sys.executable

    def test_a_python_version_given_is_set_up(self, harness: Harness, workspace: Path) -> None:
        run = harness.run(workspace, until="setup-python", args="x", **{"python-version": "3.13"})
        assert run.step("python").outputs == {"setup": "true"}
        assert run.step("setup-python").ran
        assert run.step("setup-python").with_["python-version"] == "3.13"

    def test_windows_is_refused_with_a_message(self, harness: Harness, workspace: Path) -> None:
        runner = ActionRunner(
            ROOT,
            workspace,
            workspace,
            clean_environment(),
            {},
            runner={"os": "Windows", "arch": "X64"},
        )
        run = runner.run({"args": "x"}, until="python")
        assert run.returncode == 1
        assert "runs on Linux and macOS runners" in run.step("python").stdout


class TestActionFile:
    def test_it_validates_against_the_action_schema(self) -> None:
        checked = _check_jsonschema(ACTION)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    def test_the_schema_check_can_fail(self, tmp_path: Path) -> None:
        broken = tmp_path / "action.yml"
        broken.write_text(
            ACTION.read_text(encoding="utf-8").replace("using: composite", "using: compost"),
            encoding="utf-8",
        )
        assert _check_jsonschema(broken).returncode == 1

    def test_no_expression_is_written_into_a_script(self) -> None:
        """Inputs and outputs reach the scripts through the environment only."""
        steps = load_action(ACTION)["runs"]["steps"]
        scripts = [step["run"] for step in steps if "run" in step]
        assert len(scripts) == 4
        assert not [script for script in scripts if "${{" in script]

    def test_the_outputs_are_those_of_the_run_step(self) -> None:
        outputs = load_action(ACTION)["outputs"]
        assert {name: spec["value"] for name, spec in outputs.items()} == {
            name: f"${{{{ steps.run.outputs.{name} }}}}"
            for name in ("ok", "failed", "warnings", "cancelled", "total")
        }


class TestTheRunnerStandIn:
    """The expression and output-file readers that the tests above rely on."""

    def test_expressions(self) -> None:
        context = {"inputs": {"v": "", "w": "3.13"}, "steps": {"a": {"outputs": {"x": "True"}}}}
        assert evaluate("inputs.v || '3.12'", context) == "3.12"
        assert evaluate("inputs.w || '3.12'", context) == "3.13"
        assert evaluate("steps.a.outputs.x == 'true'", context) is True
        assert evaluate("steps.b.outputs.x != 'true'", context) is True
        assert evaluate("!(inputs.v && 'y')", context) is True
        assert condition("${{ steps.a.outputs.x != 'true' }}", context) is False
        assert render("a-${{ inputs.w }}-${{ inputs.v }}-b", context) == "a-3.13--b"
        with pytest.raises(AssertionError):
            evaluate("always()", context)

    def test_output_files(self, tmp_path: Path) -> None:
        written = tmp_path / "out"
        written.write_text("ok=1\nbody<<EOF\nline 1\nline=2\nEOF\nempty=\n", encoding="utf-8")
        assert read_outputs(written) == {"ok": "1", "body": "line 1\nline=2", "empty": ""}


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
         str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
