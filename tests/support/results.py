"""Hand-built results for the tests of formats and reports, through the product's own builder."""

from __future__ import annotations

from fetchall.models import (
    ErrorKind,
    FetchError,
    Job,
    Mode,
    Response,
    Result,
    Summary,
    result_for,
)


def make_result(
    url: str,
    index: int = 0,
    *,
    status: int | None = 200,
    error: FetchError | tuple[ErrorKind, str] | None = None,
    size: int = 0,
    elapsed_ms: int = 10,
    attempts: int | None = None,
    final_url: str | None = None,
    content_type: str | None = None,
    saved_to: str | None = None,
    source: str | None = None,
) -> Result:
    """A result for ``url``: ok unless ``error`` is given; no response when ``status`` is None.

    ``source`` defaults to ``urls.txt:<line>``; ``attempts`` to 1 with a response, else 0.
    """
    if isinstance(error, tuple):
        error = FetchError(*error)
    job = Job(index, url, source if source is not None else f"urls.txt:{index + 1}")
    response = None
    if status is not None:
        response = Response(status, final_url or url, content_type, size, saved_to)
    if attempts is None:
        attempts = 0 if status is None else 1
    return result_for(job, response=response, error=error, attempts=attempts, elapsed_ms=elapsed_ms)


def summary_of(results: list[Result], mode: Mode, elapsed_s: float) -> Summary:
    """The summary that counts ``results`` as a run of ``mode`` would."""
    failed = sum(r.failed for r in results)
    cancelled = sum(r.cancelled for r in results)
    ok = len(results) - failed - cancelled
    return Summary(mode, ok=ok, failed=failed, cancelled=cancelled, elapsed_s=elapsed_s)
