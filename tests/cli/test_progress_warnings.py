"""The progress line counts the jobs with a warning beside the failures, once there is one."""

from __future__ import annotations

import io

from support.results import make_result

from fetchall.cli.progress import Progress
from fetchall.models import ErrorKind, Job, JobWarning, Result, result_for


def _warned(index: int) -> Result:
    warning = JobWarning(ErrorKind.TIMEOUT, None, "timed out after 1.0 s")
    return result_for(Job(index, f"https://w{index}/", "arg"), warnings=(warning,))


def test_warned_jobs_are_counted_after_the_failures() -> None:
    progress = Progress(io.StringIO(), lambda: 4, clock=iter([0.0, 0.0, 0.0, 0.0]).__next__)
    progress.add(make_result("https://ok/", 0))
    assert progress.text(2.0) == "[1/4 25%] 0.5/s  0 failed  ETA 6s"
    progress.add(_warned(1))
    progress.add(make_result("https://x/", 2, status=None, error=(ErrorKind.DNS, "no host")))
    assert progress.text(2.0) == "[3/4 75%] 1.5/s  1 failed  1 warned  ETA 1s"


def test_in_colour_the_warned_count_is_yellow() -> None:
    progress = Progress(io.StringIO(), color=True, clock=iter([0.0, 0.0]).__next__)
    progress.add(_warned(0))
    assert progress.text(1.0) == "[1 done] 1.0/s  0 failed  \x1b[33m1 warned\x1b[0m"
