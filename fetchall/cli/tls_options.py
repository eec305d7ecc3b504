"""The command's TLS options, as one group: whom to trust, who we are, or no checking."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from fetchall.cli import argtypes

F = TypeVar("F", bound=Callable[..., object])

_OPTIONS = (
    click.option(
        "--insecure", is_flag=True, show_default="off", help="Do not verify TLS certificates."
    ),
    click.option(
        "--cacert",
        type=argtypes.File(),
        show_default="the system's",
        help="Trust the PEM certificates in FILE.",
    ),
    click.option(
        "--cert",
        type=argtypes.File(),
        show_default="none",
        help="Client certificate (PEM), with its key unless --key.",
    ),
    click.option("--key", type=argtypes.File(), show_default="none", help="Client key (PEM)."),
)


def tls_options(command: F) -> F:
    """Add the TLS options to ``command``, in the order --help lists them."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command
