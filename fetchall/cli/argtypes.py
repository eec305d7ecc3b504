"""The types of the command's option values, and the ``--shard`` spec.

Each type turns the text of one option (from the command line or a ``FETCHALL_*`` variable)
into its value, or fails with a message that says what a good value looks like; click shows
that message as the usage error. The modules that hold the real parsers are imported only when
a value has to be parsed, so that ``--help`` stays quick.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from fetchall.cli.status import OneLineUsageError

if TYPE_CHECKING:
    from fetchall.checks import Check
    from fetchall.cli.reports import ReportSpec
    from fetchall.inputs.reader import Shard
    from fetchall.options.headers import HeaderFor
    from fetchall.options.warn_on import WarnOn
    from fetchall.statuses import AcceptedStatuses

# click makes a type of a plain function (its name, upper-cased, is the metavar shown in
# --help) and turns the ValueError it raises into a usage error with the error's message.


def codes(text: str) -> AcceptedStatuses:
    """``--accept``: status codes and ranges, ``200-299,304``."""
    from fetchall.statuses import AcceptedStatuses  # noqa: PLC0415 (import-light --help)

    return AcceptedStatuses.parse(text)


def warn_on(text: str) -> WarnOn:
    """``--warn-on``: error kinds and statuses, ``timeout,429,500-599``."""
    from fetchall.options.warn_on import WarnOn  # noqa: PLC0415 (import-light --help)

    return WarnOn.parse(text)


def size(text: str) -> int:
    """``--max-size``: bytes, or with a K, M or G suffix."""
    from fetchall.options import parse_size  # noqa: PLC0415 (import-light --help)

    return parse_size(text)


def duration(text: str) -> float:
    """``--wait``: a duration with its unit, ``800ms``, ``90s``, ``2m``."""
    from fetchall.checks import parse_duration  # noqa: PLC0415 (import-light --help)

    return parse_duration(text)


AUTO_WORKERS = 0
"""What ``--workers auto`` parses to; the settings decide from the size of the input."""


def workers(text: str) -> int:
    """``--workers``: a count of processes, or ``auto`` (:data:`AUTO_WORKERS`)."""
    if text.strip().lower() == "auto":
        return AUTO_WORKERS
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not a number of workers >= 1, or auto")
    return int(text)


class Header(click.ParamType[tuple[str, str], str]):
    """``-H/--header``: ``Name: value`` into a pair."""

    name = "header"
    # A header value may hold spaces, so FETCHALL_HEADER holds one header per line.
    envvar_list_splitter = "\n"

    def convert(
        self, value: str, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        from fetchall.options.headers import parse_header  # noqa: PLC0415 (import-light --help)

        try:
            return parse_header(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def user_agent(text: str) -> str:
    """``--user-agent``: any text but control characters, which could end the header and
    start another (as for ``-H``)."""
    from fetchall.options.headers import CONTROL_CHARACTERS  # noqa: PLC0415 (import-light --help)

    if CONTROL_CHARACTERS.search(text):
        raise ValueError(f"{text!r}: a User-Agent may not hold control characters")
    return text


class HeaderForType(click.ParamType["HeaderFor", "tuple[str, str]"]):
    """``--header-for PATTERN 'Name: value'``: a header for the URLs PATTERN matches.

    ``FETCHALL_HEADER_FOR`` holds one value a line, each PATTERN on the line before its header
    (blank lines skipped); a PATTERN left without one is an error, not dropped.
    """

    name = "header-for"
    is_composite = True
    arity = 2

    def split_envvar_value(self, rv: str) -> list[str]:
        """The lines of the variable, blank ones left out, in pairs for click to take."""
        lines = [line for line in rv.splitlines() if line.strip()]
        # click drops an odd last value; an empty header makes it an error instead.
        return [*lines, ""] if len(lines) % 2 else lines

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> HeaderFor:
        from fetchall.options.headers import HeaderFor  # noqa: PLC0415 (import-light --help)

        assert isinstance(value, tuple | list), "click hands over the option's two values"
        pattern, header = value
        try:
            return HeaderFor.parse(str(pattern), str(header))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class CheckType(click.ParamType["Check", str]):
    """``--expect``: one check, as written on a line after a URL."""

    name = "check"

    def split_envvar_value(self, rv: str) -> list[str]:
        """``FETCHALL_EXPECT`` holds one check per line (a check may hold spaces, in quotes);
        blank lines are skipped, so a YAML block that ends with a newline works."""
        return [line for line in rv.splitlines() if line.strip()]

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Check:
        from fetchall.checks import Check, CheckSyntaxError, parse_check  # noqa: PLC0415

        if isinstance(value, Check):
            return value
        try:
            return parse_check(str(value).strip())
        except CheckSyntaxError as exc:
            self.fail(str(exc), param, ctx)


class ReportType(click.ParamType["ReportSpec", str]):
    """``--report FORMAT:PATH``: a format, and the file to write it to."""

    name = "format:path"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> ReportSpec:
        from fetchall.cli.reports import ReportSpec  # noqa: PLC0415
        from fetchall.formats import Format  # noqa: PLC0415

        if isinstance(value, ReportSpec):
            return value
        name, colon, path = str(value).partition(":")
        if not colon or not path:
            self.fail(f"{value!r} is not FORMAT:PATH, e.g. junit:report.xml", param, ctx)
        for_reports = [format.value for format in Format if format.for_reports]
        if name not in for_reports:
            self.fail(f"{name!r} is not one of {', '.join(for_reports)}", param, ctx)
        from pathlib import Path  # noqa: PLC0415

        return ReportSpec(Format(name), Path(path))


class HttpMethod(click.types.StringParamType):
    """``-X/--method``: any text, upper-cased; the options check that it is a method."""

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        return super().convert(value, param, ctx).upper()


class _PathOf(click.Path):
    """A ``click.Path`` whose value is a :class:`~pathlib.Path`."""

    def convert(
        self,
        value: str | os.PathLike[str],
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> os.PathLike[str]:
        from pathlib import Path  # noqa: PLC0415 (import-light --help)

        return Path(os.fsdecode(super().convert(value, param, ctx)))


class Directory(_PathOf):
    """``--save``: a folder (existing or not, never a file)."""

    def __init__(self) -> None:
        super().__init__(file_okay=False)


class File(_PathOf):
    """``--cacert``, ``--cert``, ``--key``: a file that exists and can be read."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, readable=True)


def shard(spec: str | None, completion_index: str | None) -> Shard | None:
    """The ``--shard`` spec: ``K/N``, or ``N`` alone on a Kubernetes Indexed Job, whose
    ``completion_index`` (JOB_COMPLETION_INDEX) counts from 0, so that K is that index + 1.

    It is read after the other options are checked, and its errors need no --help hint.
    """
    if spec is None:
        return None
    from fetchall.inputs.reader import Shard  # noqa: PLC0415 (import-light --help)

    if "/" not in spec.strip():
        if completion_index is None or not completion_index.isdigit():
            raise OneLineUsageError(
                f"--shard {spec!r}: give K/N, or N alone with JOB_COMPLETION_INDEX set"
            )
        spec = f"{int(completion_index) + 1}/{spec.strip()}"
    try:
        return Shard.parse(spec)
    except ValueError as exc:
        raise OneLineUsageError(f"--shard: {exc}") from None
