"""A result read back from its JSON object (``--merge``), checks and warnings included."""

from __future__ import annotations

from typing import Any

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.checks.model import WARN_PREFIX
from fetchall.models import ErrorKind, FetchError, JobWarning, Result


def warnings_from(items: list[dict[str, Any]]) -> tuple[JobWarning, ...]:
    """A result's ``warnings`` from their JSON objects."""
    return tuple(
        JobWarning(
            ErrorKind(item["kind"]),
            None if item.get("check") is None else str(item["check"]),
            str(item["message"]),
        )
        for item in items
    )


def outcomes_from(items: list[dict[str, Any]]) -> tuple[CheckOutcome, ...]:
    """A result's ``checks`` from their JSON objects; ValueError for a text that is no check."""
    return tuple(_outcome_from(item) for item in items)


def _outcome_from(item: dict[str, Any]) -> CheckOutcome:
    text = str(item["check"])
    # A check's text starts with its key word (``status=200``, ``header:X~y``), after
    # ``warn:`` for a warning check.
    plain = text.removeprefix(WARN_PREFIX)
    key = CheckKey.named(plain[: len(plain) - len(plain.lstrip("abcdefghijklmnopqrstuvwxyz"))])
    if key is None:
        raise ValueError(f"not a check: {text!r}")
    return CheckOutcome(text, bool(item["ok"]), str(item["message"]), key, plain != text)


def result_from(data: dict[str, Any]) -> Result:
    """Rebuild a result from its JSON object (see :meth:`Result.to_dict`)."""
    error = data.get("error")
    return Result(
        url=str(data["url"]),
        index=int(data["index"]),
        source=str(data["source"]),
        ok=bool(data["ok"]),
        status=None if data.get("status") is None else int(data["status"]),
        final_url=data.get("final_url"),
        bytes=int(data.get("bytes", 0)),
        elapsed_ms=int(data.get("elapsed_ms", 0)),
        attempts=int(data.get("attempts", 0)),
        content_type=data.get("content_type"),
        saved_to=data.get("saved_to"),
        error=None
        if error is None
        else FetchError(ErrorKind(error["kind"]), str(error["message"])),
        checks=None if data.get("checks") is None else outcomes_from(data["checks"]),
        warnings=None if data.get("warnings") is None else warnings_from(data["warnings"]),
    )
