"""The ``json`` format: one document with mode, summary, results and error groups."""

from __future__ import annotations

import json

from support.results import make_result

from fetchall.formats import Format
from fetchall.formats.json import JsonFormat
from fetchall.models import ErrorKind, FetchError, Mode, Result, Summary


def _result(
    url: str, index: int, *, status: int | None = 200, error: FetchError | None = None
) -> Result:
    """A result with this file's sizes and timings: ok unless ``error`` is given."""
    size = 0 if status is None else 10
    return make_result(url, index, status=status, error=error, size=size, elapsed_ms=5)


_HTTP_404 = FetchError(ErrorKind.HTTP_STATUS, "HTTP 404")
_RESULTS = [
    _result("https://a/2", 2, status=404, error=_HTTP_404),
    _result("https://a/0", 0),
    _result("https://a/3", 3, status=None, error=FetchError(ErrorKind.TIMEOUT, "timed out")),
    _result("https://a/1", 1, status=404, error=_HTTP_404),
    _result("https://a/4", 4, status=None, error=FetchError(ErrorKind.CANCELLED, "stopped")),
]


def _document(mode: Mode, results: list[Result], summary: Summary) -> str:
    json_format = JsonFormat(mode)
    for result in results:
        assert json_format.result(result) == ""
    return json_format.end(summary)


class TestJsonDocument:
    """The document is written whole at the end."""

    def test_document(self) -> None:
        """Keys mode/summary/results/errors; results in input order; errors grouped with a
        status only for http_status; cancelled results listed but not errors."""
        summary = Summary(mode=Mode.INDEPENDENT, ok=1, failed=3, cancelled=1, elapsed_s=1.2345)
        text = _document(Mode.INDEPENDENT, _RESULTS, summary)
        assert text.endswith("}\n")
        document = json.loads(text)
        assert list(document) == ["mode", "summary", "results", "errors", "warnings"]
        assert document == {
            "mode": "independent",
            "summary": {
                "ok": 1,
                "failed": 3,
                "cancelled": 1,
                "total": 5,
                "elapsed_s": 1.234,
                "warnings": 0,
            },
            "results": [r.to_dict() for r in sorted(_RESULTS, key=lambda r: r.index)],
            "errors": [
                {
                    "kind": "http_status",
                    "status": 404,
                    "check": None,
                    "count": 2,
                    "urls": ["https://a/2", "https://a/1"],
                },
                {
                    "kind": "timeout",
                    "status": None,
                    "check": None,
                    "count": 1,
                    "urls": ["https://a/3"],
                },
            ],
            "warnings": [],
        }

    def test_results_sorted_by_index(self) -> None:
        """Results come in input order whatever order they completed in."""
        summary = Summary(mode=Mode.INDEPENDENT, ok=1, failed=3, cancelled=1, elapsed_s=1.0)
        document = json.loads(_document(Mode.INDEPENDENT, _RESULTS, summary))
        assert [r["index"] for r in document["results"]] == [0, 1, 2, 3, 4]

    def test_every_url_kept_in_groups(self) -> None:
        """Unlike text, the json error groups list every URL."""
        results = [
            _result(f"https://b/{i}", i, status=None, error=FetchError(ErrorKind.CONNECT, "no"))
            for i in range(25)
        ]
        summary = Summary(mode=Mode.INDEPENDENT, ok=0, failed=25, cancelled=0, elapsed_s=1.0)
        (group,) = json.loads(_document(Mode.INDEPENDENT, results, summary))["errors"]
        assert group == {
            "kind": "connect",
            "status": None,
            "check": None,
            "count": 25,
            "urls": [f"https://b/{i}" for i in range(25)],
        }

    def test_first_mode_reports_every_job(self) -> None:
        """In first mode json reports the winner, the failures before it and the cancelled."""
        summary = Summary(mode=Mode.FIRST, ok=1, failed=3, cancelled=1, elapsed_s=0.1)
        document = json.loads(_document(Mode.FIRST, _RESULTS, summary))
        assert document["mode"] == "first"
        assert len(document["results"]) == 5

    def test_empty_run(self) -> None:
        """A run without results is a document with empty lists."""
        summary = Summary(mode=Mode.ALL, ok=0, failed=0, cancelled=0, elapsed_s=0.0)
        assert json.loads(_document(Mode.ALL, [], summary)) == {
            "mode": "all",
            "summary": {
                "ok": 0,
                "failed": 0,
                "cancelled": 0,
                "total": 0,
                "elapsed_s": 0.0,
                "warnings": 0,
            },
            "results": [],
            "errors": [],
            "warnings": [],
        }

    def test_non_ascii_kept(self) -> None:
        """Non-ASCII URLs are written as UTF-8 text, not escaped."""
        summary = Summary(mode=Mode.ALL, ok=1, failed=0, cancelled=0, elapsed_s=0.0)
        text = _document(Mode.ALL, [_result("https://bücher.example/", 0)], summary)
        assert '"url": "https://bücher.example/"' in text

    def test_format_enum_builds_it(self) -> None:
        """``Format.JSON.formatter`` gives a json formatter."""
        assert isinstance(Format.JSON.formatter(Mode.ALL), JsonFormat)
