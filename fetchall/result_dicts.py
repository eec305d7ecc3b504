"""The parts of a result's JSON object that need the checks to be read back (``--merge``)."""

from __future__ import annotations

from typing import Any

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.checks.model import WARN_PREFIX
from fetchall.models import ErrorKind, JobWarning


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
