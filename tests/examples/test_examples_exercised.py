"""The examples, run as far as this machine can run them without GitHub, GitLab or a cluster.

- Every shell script in them (the workflows' and the action's ``run:`` steps, the GitLab
  ``script:``, the Kubernetes container's command and the commands its comments give) passes
  ``shellcheck`` when it is installed (``apt-get install shellcheck``); skipped otherwise.
- Every URL list is read by fetchall itself, through a proxy that refuses every connection
  (nothing leaves this machine): each line is a job with its checks, none is ``invalid_url``.
- The sharded workflow's and the Kubernetes Job's commands run for real against a local
  server, and their merge reads the shards' reports back.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from support.action_runner import clean_environment
from support.cli import invoke
from support.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KUBERNETES = EXAMPLES / "kubernetes" / "indexed-job.yaml"
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _kubernetes() -> tuple[dict[str, Any], dict[str, Any]]:
    """The ConfigMap and the Job."""
    config_map, job = YAML(typ="safe").load_all(KUBERNETES.read_text(encoding="utf-8"))
    return config_map, job


def _container_script() -> str:
    container = _kubernetes()[1]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["sh", "-c"]
    script: str = container["command"][2]
    return script


def _comment_script() -> str:
    """The commands the Kubernetes example's comments tell you to type after applying it."""
    lines = KUBERNETES.read_text(encoding="utf-8").splitlines()
    start = lines.index("#   for i in 0 1 2 3; do")
    script = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        script.append(line.removeprefix("#   "))
    return "\n".join(script) + "\n"


def _scripts() -> list[tuple[str, str, str]]:
    """(where, shell, script) for every shell script in the examples and the action."""
    found: list[tuple[str, str, str]] = []
    for workflow in sorted((EXAMPLES / "github-actions").glob("*.yml")):
        for job_name, job in _yaml(workflow)["jobs"].items():
            for number, step in enumerate(job["steps"]):
                if "run" in step:
                    # An expression is text the runner puts in before bash reads the script.
                    script = _EXPRESSION.sub("expression", step["run"])
                    found.append((f"{workflow.name} {job_name} step {number}", "bash", script))
    for step in _yaml(ROOT / "action.yml")["runs"]["steps"]:
        if "run" in step:
            found.append(
                (f"action.yml {step['id'] if 'id' in step else step['name']}", "bash", step["run"])
            )
    gitlab = _yaml(EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml")
    for job_name, job in gitlab.items():
        if isinstance(job, dict) and "script" in job:
            found.append((f".gitlab-ci.yml {job_name}", "sh", "\n".join(job["script"]) + "\n"))
    found.append(("indexed-job.yaml container", "sh", _container_script()))
    found.append(("indexed-job.yaml comments", "sh", _comment_script()))
    return found


class TestShellcheck:
    def test_the_scripts_are_found(self) -> None:
        """One run step left in the workflows (the action does the rest), four in the action,
        one GitLab script, two Kubernetes scripts."""
        wheres = [where for where, _, _ in _scripts()]
        assert sum(" step " in where for where in wheres) == 1
        assert sum(where.startswith("action.yml") for where in wheres) == 4
        assert sum(where.startswith("indexed-job.yaml") for where in wheres) == 2
        assert sum(where.startswith(".gitlab-ci.yml") for where in wheres) == 1

    @pytest.mark.parametrize(
        ("where", "shell", "script"), [pytest.param(*found, id=found[0]) for found in _scripts()]
    )
    def test_shellcheck_finds_nothing(self, where: str, shell: str, script: str) -> None:
        if shutil.which("shellcheck") is None:
            pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
        checked = subprocess.run(
            ["shellcheck", f"--shell={shell}", "-"],
            input=script,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, f"{where}:\n{checked.stdout}{checked.stderr}"

    def test_shellcheck_can_fail(self) -> None:
        if shutil.which("shellcheck") is None:
            pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
        checked = subprocess.run(
            ["shellcheck", "--shell=bash", "-"],
            input="rm -rf $DIR/x\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 1
        assert "SC2086" in checked.stdout


def _url_lists() -> list[tuple[str, str]]:
    """(name, text) of every URL list in the examples."""
    lists = [
        (path.name, path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES.glob("*.txt"))
        if path.name != "demo-urls.txt"  # its invalid line is on purpose, for the demo
    ]
    return [*lists, ("indexed-job.yaml urls.txt", _kubernetes()[0]["data"]["urls.txt"])]


@pytest.mark.parametrize(
    ("name", "text"), [pytest.param(*found, id=found[0]) for found in _url_lists()]
)
def test_every_line_of_a_url_list_is_a_job(name: str, text: str, tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(text, encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    refused = FaultServer.refused_url().rstrip("/")
    env = clean_environment(HTTP_PROXY=refused, HTTPS_PROXY=refused)
    fetched = subprocess.run(
        [sys.executable, "-m", "fetchall", str(listing), "--format", "jsonl", "--timeout", "5"],
        env={name: value for name, value in env.items() if name.lower() != "no_proxy"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    rows = [json.loads(line) for line in fetched.stdout.splitlines()]
    assert len(rows) == len(lines) >= 4, fetched.stderr
    # Every request reached the proxy and no further: the line and its checks were read.
    assert {row["error"]["kind"] for row in rows} == {"connect"}, rows
    assert all(refused.removeprefix("http://") in row["error"]["message"] for row in rows)


def _local_list(server: FaultServer, directory: Path) -> Path:
    listing = directory / "urls.txt"
    paths = ["/ok", "/status/404", "/say?text=a", "/say?text=b", "/say?text=c", "/count"]
    listing.write_text("".join(server.url(path) + "\n" for path in paths), encoding="utf-8")
    return listing


def test_the_sharded_workflow_merges_what_its_shards_wrote(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shard steps' args for shards 1 to 4, then the merge step's args, as the action
    splits them: one report of the whole list, the 404 in it, exit status 1."""
    workflow = _yaml(EXAMPLES / "github-actions" / "sharded.yml")
    listing = _local_list(server, tmp_path)
    (shard_step,) = [
        s for s in workflow["jobs"]["shard"]["steps"] if "with" in s and "args" in s["with"]
    ]
    (merge_step,) = [
        s for s in workflow["jobs"]["merge"]["steps"] if "with" in s and "args" in s["with"]
    ]
    monkeypatch.chdir(tmp_path)
    for k in workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]:
        args = shlex.split(shard_step["with"]["args"].replace("${{ matrix.shard }}", str(k)))
        ran = invoke(args, GITHUB_OUTPUT=None)
        assert ran.exit_code in (0, 1), ran.output
    assert sorted(glob.glob("shard-*.jsonl")) == [f"shard-{k}.jsonl" for k in (1, 2, 3, 4)]
    merged = invoke([*shlex.split(merge_step["with"]["args"]), "--format", "jsonl"])
    assert merged.exit_code == 1, merged.output
    rows = [json.loads(line) for line in merged.stdout.splitlines()]
    assert [row["index"] for row in rows] == list(range(6))
    assert [row["source"] for row in rows] == [f"urls.txt:{n}" for n in range(1, 7)]
    assert [row["status"] for row in rows][:2] == [200, 404]
    assert listing.exists()


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_the_kubernetes_pods_reports_are_copied_out_and_merged(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container's command, run as four pods would run it (pip stood in for, as it would
    fetch fetchall from GitHub): each pod writes its report, says done, waits until the report
    is taken, then exits as fetchall did; the merge command of the comments reads the four."""
    listing = _local_list(server, tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$PIP_ARGS"\n', encoding="utf-8")
    (bin_dir / "fetchall").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m fetchall "$@"\n', encoding="utf-8"
    )
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    script = _container_script().replace("/urls/urls.txt", str(listing))
    pods = []
    for index in range(4):
        reports = tmp_path / f"pod-{index}"
        reports.mkdir()
        env = clean_environment(
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            REPORTS=str(reports),
            JOB_COMPLETION_INDEX=str(index),
            PIP_ARGS=str(reports / "pip-args"),
        )
        pod = subprocess.Popen(["sh", "-c", script], env=env, cwd=reports, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        pods.append((reports, pod))
    statuses = []
    for index, (reports, pod) in enumerate(pods):
        _wait_for(reports / "done", pod)
        assert pod.poll() is None, "the pod must wait for its report to be taken"
        shutil.copy(reports / "shard.jsonl", tmp_path / f"shard-{index}.jsonl")
        (reports / "taken").touch()
        pod.communicate(timeout=30)
        statuses.append(pod.returncode)
        assert (reports / "pip-args").read_text(encoding="utf-8").splitlines() == [
            "install", "--quiet", "--no-cache-dir", "--root-user-action=ignore",
            "fetchall @ git+https://github.com/OWNER/fetchall@v0.1.0",
        ]  # fmt: skip
    # Only the pod whose shard holds the 404 fails.
    assert sorted(statuses) == [0, 0, 0, 1]
    merge = next(
        line.removeprefix("#   ").split("#")[0].split()
        for line in KUBERNETES.read_text(encoding="utf-8").splitlines()
        if line.startswith("#   fetchall --merge")
    )
    assert merge == ["fetchall", "--merge", "shard-*.jsonl", "--format", "text"]
    monkeypatch.chdir(tmp_path)
    merged = invoke([*merge[1:2], *sorted(glob.glob(merge[2])), *merge[3:]])
    assert merged.exit_code == 1, merged.output
    assert merged.stdout.splitlines()[-1].startswith("5 ok, 1 failed, 0 cancelled in ")
    assert server.url("/status/404") in merged.stdout
