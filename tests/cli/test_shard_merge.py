"""``--shard K/N`` splits one input over machines; ``--merge`` joins their reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import Result
from support.cli import assert_one_line_usage_error, invoke
from support.fault_server import FaultServer

from fetchall.inputs.reader import Shard

URL_COUNT = 60
SHARDS = 3


def jsonl_rows(stdout: str) -> list[dict[str, object]]:
    """The result objects of a jsonl report."""
    return [json.loads(line) for line in stdout.splitlines()]


def indexes(result: Result) -> set[int]:
    """The ``index`` of every result in a jsonl run, checking the run went well."""
    assert result.exit_code == 0, result.output
    return {int(row["index"]) for row in jsonl_rows(result.stdout)}  # type: ignore[call-overload]


@pytest.fixture(name="url_list")
def _url_list(tmp_path: Path, server: FaultServer) -> Path:
    """60 distinct good URLs, one per line, line i holding ``?i=i``."""
    path = tmp_path / "urls.txt"
    path.write_text(
        "# sixty\n" + "".join(f"{server.url('/ok')}?i={i}\n" for i in range(URL_COUNT)),
        encoding="utf-8",
    )
    return path


def shard_reports(url_list: Path, out_dir: Path, fmt: str) -> list[Path]:
    """Run every shard of ``url_list`` in ``fmt`` and write each report to a file."""
    paths = []
    for k in range(1, SHARDS + 1):
        result = invoke([str(url_list), "--shard", f"{k}/{SHARDS}", "--format", fmt])
        assert result.exit_code == 0, result.output
        path = out_dir / f"shard-{k}.{fmt}"
        path.write_text(result.stdout, encoding="utf-8")
        paths.append(path)
    return paths


class TestShard:
    def test_shards_are_disjoint_and_cover_the_input(
        self, url_list: Path, server: FaultServer
    ) -> None:
        """The three shards share no job, together hold all 60, and fetch each URL once."""
        shares = [
            indexes(invoke([str(url_list), "--shard", f"{k}/{SHARDS}", "--format", "jsonl"]))
            for k in range(1, SHARDS + 1)
        ]
        assert all(shares), shares
        assert sum(len(share) for share in shares) == URL_COUNT
        assert set().union(*shares) == set(range(URL_COUNT))
        assert server.total_requests == URL_COUNT

    def test_each_result_keeps_its_global_index(self, url_list: Path) -> None:
        """A shard's result for line i+2 carries index i and source path:i+2, not its rank."""
        result = invoke([str(url_list), "--shard", "2/3", "--format", "jsonl"])
        rows = jsonl_rows(result.stdout)
        assert rows
        for row in rows:
            i = row["index"]
            assert str(row["url"]).endswith(f"?i={i}")
            assert row["source"] == f"{url_list}:{int(i) + 2}"  # type: ignore[call-overload]

    def test_shard_from_the_environment(self, url_list: Path) -> None:
        """FETCHALL_SHARD=2/3 takes the same share as --shard 2/3."""
        flag = indexes(invoke([str(url_list), "--shard", "2/3", "--format", "jsonl"]))
        env = indexes(invoke([str(url_list), "--format", "jsonl"], FETCHALL_SHARD="2/3"))
        assert env == flag

    def test_kubernetes_completion_index(self, url_list: Path) -> None:
        """--shard 3 with JOB_COMPLETION_INDEX=1 (0-based) is shard 2/3."""
        flag = indexes(invoke([str(url_list), "--shard", "2/3", "--format", "jsonl"]))
        k8s = indexes(
            invoke([str(url_list), "--shard", "3", "--format", "jsonl"], JOB_COMPLETION_INDEX="1")
        )
        assert k8s == flag

    def test_kubernetes_completion_index_with_env_shard(self, url_list: Path) -> None:
        """FETCHALL_SHARD=3 with JOB_COMPLETION_INDEX=0 is shard 1/3."""
        flag = indexes(invoke([str(url_list), "--shard", "1/3", "--format", "jsonl"]))
        k8s = indexes(
            invoke(
                [str(url_list), "--format", "jsonl"], FETCHALL_SHARD="3", JOB_COMPLETION_INDEX="0"
            )
        )
        assert k8s == flag

    @pytest.mark.parametrize("index", [None, "", "x", "-1"])
    def test_count_alone_needs_the_completion_index(
        self, url_list: Path, server: FaultServer, index: str | None
    ) -> None:
        """--shard 3 without a usable JOB_COMPLETION_INDEX: exit 2, one line, nothing fetched."""
        result = invoke([str(url_list), "--shard", "3"], JOB_COMPLETION_INDEX=index)
        assert_one_line_usage_error(result, "--shard", "JOB_COMPLETION_INDEX")
        assert server.total_requests == 0

    def test_completion_index_past_the_count(self, url_list: Path, server: FaultServer) -> None:
        """JOB_COMPLETION_INDEX=3 with --shard 3 would be shard 4/3: exit 2, nothing fetched."""
        result = invoke([str(url_list), "--shard", "3"], JOB_COMPLETION_INDEX="3")
        assert_one_line_usage_error(result, "--shard")
        assert server.total_requests == 0

    def test_one_shard_keeps_everything(self, url_list: Path) -> None:
        """--shard 1/1 is the whole input."""
        result = invoke([str(url_list), "--shard", "1/1", "--format", "jsonl"])
        assert indexes(result) == set(range(URL_COUNT))

    @pytest.mark.parametrize("k", [1, 2])
    def test_same_shards_in_processes_with_other_hash_seeds(self, url_list: Path, k: int) -> None:
        """Processes with PYTHONHASHSEED=1 and 2 take exactly the same share."""
        shares = []
        files = [str(url_list)]
        for seed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            env.pop("FETCHALL_SHARD", None)
            env.pop("JOB_COMPLETION_INDEX", None)
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "fetchall",
                    "--shard",
                    f"{k}/2",
                    "--format",
                    "jsonl",
                    *files,
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            shares.append({json.loads(line)["index"] for line in done.stdout.splitlines()})
        assert shares[0] == shares[1]
        assert shares[0]
        in_process = indexes(invoke([str(url_list), "--shard", f"{k}/2", "--format", "jsonl"]))
        assert shares[0] == in_process


class TestMerge:
    @pytest.mark.parametrize("fmt", ["jsonl", "json"])
    def test_merged_report_is_the_whole_run(
        self, url_list: Path, tmp_path: Path, server: FaultServer, fmt: str
    ) -> None:
        """Merging the shards' reports gives the 60 results in index order, counted right."""
        reports = shard_reports(url_list, tmp_path, fmt)
        requests = server.total_requests
        result = invoke(["--merge", *map(str, reports), "--format", "json"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert [r["index"] for r in document["results"]] == list(range(URL_COUNT))
        assert all(r["url"].endswith(f"?i={r['index']}") for r in document["results"])
        assert all(r["ok"] for r in document["results"])
        assert {k: document["summary"][k] for k in ("ok", "failed", "cancelled", "total")} == {
            "ok": URL_COUNT,
            "failed": 0,
            "cancelled": 0,
            "total": URL_COUNT,
        }
        assert document["mode"] == "independent"
        assert document["errors"] == []
        assert server.total_requests == requests  # merging fetches nothing

    def test_json_and_jsonl_reports_mix(self, url_list: Path, tmp_path: Path) -> None:
        """One shard in json and the others in jsonl merge just the same."""
        jsonl = shard_reports(url_list, tmp_path, "jsonl")
        json_ = shard_reports(url_list, tmp_path, "json")
        result = invoke(["--merge", str(json_[0]), str(jsonl[1]), str(jsonl[2]), "-q"])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[-1].startswith(f"{URL_COUNT} ok, 0 failed, 0 cancelled")

    def test_merged_jsonl_matches_the_shards(self, url_list: Path, tmp_path: Path) -> None:
        """--merge --format jsonl prints each shard's result objects unchanged, by index."""
        reports = shard_reports(url_list, tmp_path, "jsonl")
        result = invoke(["--merge", *map(str, reports), "--format", "jsonl"])
        merged = jsonl_rows(result.stdout)
        originals = [row for path in reports for row in jsonl_rows(path.read_text("utf-8"))]
        assert merged == sorted(originals, key=lambda row: int(row["index"]))  # type: ignore[call-overload]

    def test_a_report_given_twice_counts_once(self, url_list: Path, tmp_path: Path) -> None:
        """A shard report passed twice does not double its jobs."""
        reports = shard_reports(url_list, tmp_path, "jsonl")
        result = invoke(["--merge", *map(str, reports), str(reports[0]), "--format", "json"])
        assert json.loads(result.stdout)["summary"]["total"] == URL_COUNT

    def test_a_failure_in_one_shard_fails_the_merge(
        self, url_list: Path, tmp_path: Path, server: FaultServer
    ) -> None:
        """One failed job in one shard: merge exits 1 and text shows the grouped error."""
        bad = server.url("/status/500")
        with url_list.open("a", encoding="utf-8") as out:
            out.write(bad + "\n")
        reports = []
        for k in range(1, SHARDS + 1):
            result = invoke([str(url_list), "--shard", f"{k}/{SHARDS}", "--format", "jsonl"])
            path = tmp_path / f"shard-{k}.jsonl"
            path.write_text(result.stdout, encoding="utf-8")
            reports.append(path)
        assert sum(bad in path.read_text("utf-8") for path in reports) == 1
        result = invoke(["--merge", *map(str, reports)])
        assert result.exit_code == 1
        lines = result.stdout.splitlines()
        assert "FAIL  500   " in result.stdout
        assert "errors:" in lines
        at = lines.index("errors:")
        assert lines[at + 1 : at + 3] == ["  http_status 500 (1)", f"    {bad}"]
        assert lines[-1].startswith(f"{URL_COUNT} ok, 1 failed, 0 cancelled in ")

    def test_merge_to_junit(self, url_list: Path, tmp_path: Path) -> None:
        """The merged report can be junit: one testcase per job of every shard."""
        reports = shard_reports(url_list, tmp_path, "jsonl")
        result = invoke(["--merge", *map(str, reports), "--format", "junit"])
        assert result.exit_code == 0, result.output
        suite = ET.fromstring(result.stdout.split("\n", 1)[1])
        assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (
            "fetchall",
            str(URL_COUNT),
            "0",
        )
        assert len(suite.findall("testcase")) == URL_COUNT

    def test_non_report_file_is_a_usage_error(self, url_list: Path, tmp_path: Path) -> None:
        """Merging a URL list instead of a report: exit 2, one line naming the file."""
        reports = shard_reports(url_list, tmp_path, "jsonl")
        result = invoke(["--merge", str(reports[0]), str(url_list)])
        assert_one_line_usage_error(result, str(url_list))

    @pytest.mark.parametrize(
        "content",
        [
            '{"a": 1}\n',
            '{"results": [{"url": "x"}]}\n',
            "\x00\x01binary",
            # Valid JSON of the wrong shape (fetchall/merge.py lets these escape as tracebacks).
            "[1, 2, 3]\n",
            '"a string"\n',
            '{"results": [1]}\n',
            '{"results": 5}\n',
            '{"results": [], "summary": 5}\n',
            '{"mode": "bogus", "results": []}\n',
        ],
    )
    def test_json_that_is_no_report_is_a_usage_error(self, tmp_path: Path, content: str) -> None:
        """JSON that is not a fetchall report, or binary junk: exit 2, one line."""
        path = tmp_path / "other.json"
        path.write_text(content, encoding="utf-8")
        assert_one_line_usage_error(invoke(["--merge", str(path)]), str(path))

    def test_missing_report_is_a_usage_error(self, tmp_path: Path) -> None:
        """A report file that does not exist: exit 2, one line naming it."""
        missing = tmp_path / "gone.jsonl"
        assert_one_line_usage_error(invoke(["--merge", str(missing)]), str(missing))

    def test_merge_without_reports_is_a_usage_error(self) -> None:
        """--merge alone: exit 2, one line."""
        assert_one_line_usage_error(invoke(["--merge"]), "--merge")

    def test_wrong_shape_report_as_a_process_has_no_traceback(self, tmp_path: Path) -> None:
        """The real process answers a JSON list with one error line, not a traceback."""
        path = tmp_path / "list.jsonl"
        path.write_text("[1, 2, 3]\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "fetchall", "--merge", str(path)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "Traceback" not in done.stderr
        assert done.returncode == 2
        assert done.stderr.startswith("fetchall: error: ")


def test_a_shard_that_keeps_no_url_exits_0(server: FaultServer) -> None:
    """Nothing was fetched, so nothing failed: an empty shard of a short list is a success."""
    url = next(u for i in range(100) if Shard(1, 2).keeps(u := server.url(f"/ok?i={i}")))
    result = invoke(["--shard", "2/2", "--format", "json", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["total"] == 0
    assert server.total_requests == 0
