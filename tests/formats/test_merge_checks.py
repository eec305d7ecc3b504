"""``--merge`` reads a result's checks back as they were reported, and refuses a report whose
check text names no check."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from support.results import make_result

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.formats.groups import first_failed_check
from fetchall.formats.jsonl import JsonLinesFormat
from fetchall.formats.merge import ReportError, merge
from fetchall.models import ErrorKind, Mode

_OUTCOMES = (
    CheckOutcome("status=200", True, "got 200", CheckKey.STATUS),
    CheckOutcome("header:content-type~json", False, "got text/html", CheckKey.HEADER),
    CheckOutcome('json:"length(items)">=1', True, "got 3", CheckKey.JSON),
)


def _write_report(path: Path, checks: tuple[CheckOutcome, ...]) -> None:
    result = dataclasses.replace(
        make_result("https://a/", error=(ErrorKind.EXPECTATION, "header:content-type~json")),
        checks=checks,
    )
    path.write_text(JsonLinesFormat(Mode.INDEPENDENT).result(result), encoding="utf-8")


def test_checks_come_back_with_their_keys(tmp_path: Path) -> None:
    """Each check keeps its text, outcome, message and key (read from the text's key word)."""
    report = tmp_path / "shard.jsonl"
    _write_report(report, _OUTCOMES)
    (result,) = merge([report]).results
    assert result.checks == _OUTCOMES
    assert first_failed_check(result) == "header:content-type~json"


def test_a_check_with_an_unknown_key_is_not_a_report(tmp_path: Path) -> None:
    """A check text whose key word is no key: the file is refused, naming it."""
    report = tmp_path / "shard.jsonl"
    _write_report(report, _OUTCOMES)
    line = json.loads(report.read_text(encoding="utf-8"))
    line["checks"][0]["check"] = "colour=red"
    report.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"shard\.jsonl"):
        merge([report])
