"""The command line, checked, as one frozen value: what to read, how to fetch, how to report."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fetchall.cli import argtypes
from fetchall.cli.console import Console
from fetchall.cli.status import OneLineUsageError
from fetchall.formats import Format
from fetchall.models import Mode
from fetchall.options import Options

if TYPE_CHECKING:
    from fetchall.cli.reports import ReportSpec
    from fetchall.inputs.reader import Shard
    from fetchall.options.headers import HeaderFor

# The command's parameters that shape fetching carry the names of these fields.
_OPTION_FIELDS = tuple(field.name for field in dataclasses.fields(Options))


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """What one run of the command does."""

    inputs: tuple[str, ...]
    """The INPUTs, in order; ``-`` alone when none was given."""
    mode: Mode
    format: Format
    options: Options
    shard: Shard | None
    quiet: bool
    verbose: bool
    progress: bool
    """Whether to draw the progress line on stderr."""
    reports: tuple[ReportSpec, ...] = ()
    """The ``--report`` files to write as well."""

    @classmethod
    def from_params(
        cls, inputs: tuple[str, ...], params: Mapping[str, Any], console: Console
    ) -> Settings:
        """Check what click parsed; a value that the options refuse is a usage error."""
        if not inputs:
            if console.stdin is None:
                raise OneLineUsageError("no INPUT given and standard input is closed")
            if console.stdin_is_terminal:
                raise OneLineUsageError("no INPUT given and standard input is a terminal")
            inputs = ("-",)
        values = {name: params[name] for name in _OPTION_FIELDS}
        values["headers"], values["header_for"] = _filled_in(params, console.environ)
        if values["workers"] == argtypes.AUTO_WORKERS:
            values["workers"] = auto_workers(inputs)
        try:
            options = Options(**values)
        except ValueError as exc:
            raise OneLineUsageError(str(exc)) from None
        if options.save_dir is not None:
            _check_writable(options.save_dir, staged=params["mode"] == Mode.ALL.value)
        if options.cacert or options.cert:
            # A file that is not PEM is refused before any request, naming it.
            from fetchall.transport.tls import ssl_context_for  # noqa: PLC0415 (loads ssl)

            try:
                ssl_context_for(options)
            except ValueError as exc:
                raise OneLineUsageError(str(exc)) from None
        progress = params["progress"]
        return cls(
            inputs=inputs,
            mode=Mode(params["mode"]),
            format=Format(params["format"]),
            options=options,
            shard=argtypes.shard(params["shard"], console.environ.get("JOB_COMPLETION_INDEX")),
            quiet=params["quiet"],
            verbose=params["verbose"],
            progress=console.stderr_is_terminal if progress is None else progress,
            reports=params["reports"],
        )


def _filled_in(
    params: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[tuple[tuple[str, str], ...], tuple[HeaderFor, ...]]:
    """``-H`` and ``--header-for`` with the ``${NAME}`` in their values filled in."""
    from fetchall.options.headers import fill_in  # noqa: PLC0415 (import-light --help)

    try:
        headers = tuple((name, fill_in(name, value, environ)) for name, value in params["headers"])
        header_for = tuple(
            dataclasses.replace(header, value=fill_in(header.name, header.value, environ))
            for header in params["header_for"]
        )
    except ValueError as exc:
        raise OneLineUsageError(str(exc)) from None
    return headers, header_for


def _check_writable(directory: Path, *, staged: bool) -> None:
    """Make ``--save``'s folder now, so that one that cannot be is a usage error, not a
    failure of every job. In ``all`` mode (``staged``) DIR appears only with its bodies:
    the nearest folder that exists on its way must be writable instead."""
    folder = directory
    try:
        if staged:
            while not folder.is_dir() and folder != folder.parent:
                if folder.exists():  # a file where DIR or one of its folders would go
                    raise NotADirectoryError(20, "Not a directory")
                folder = folder.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise OneLineUsageError(f"--save {directory}: {exc.strerror or exc}") from None


AUTO_MIN_BYTES = 2 * 1024 * 1024
"""``--workers auto`` starts worker processes only for input files this large (about 40,000
URLs): each worker is an interpreter that costs about 0.2 s of CPU to start, which a shorter
run does not earn back."""


def auto_workers(inputs: tuple[str, ...]) -> int:
    """The workers ``auto`` means: the CPUs this process may run on when the input files hold
    at least :data:`AUTO_MIN_BYTES`, else one (standard input and URLs count as small)."""
    from fetchall.urls import scheme_of  # noqa: PLC0415 (import-light --help: yarl)

    size = 0
    for name in inputs:
        with contextlib.suppress(OSError):
            if scheme_of(name) is None and name != "-" and os.path.isfile(name):
                size += os.path.getsize(name)
    if size < AUTO_MIN_BYTES:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
