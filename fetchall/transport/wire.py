"""The messages between the coordinator and its worker processes, and how they travel.

The coordinator sends a worker one :class:`Setup` first, then :class:`Start` and
:class:`Cancel`; the worker answers each started job with one :class:`Done`, and sends an
:class:`Alive` every ``Setup.heartbeat_s`` whatever it is doing, so that the coordinator can
tell a worker that stopped answering from one that is busy. The messages of
one turn of the event loop travel together, as one pickled list with a 4-byte length over the
worker's stdin or stdout: one write and one read per turn, not per URL.

Pickles name the classes by module, so this module's name is the one both ends must agree
on: the messages live here, and only here.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from fetchall.models import Job, Result
from fetchall.options import Options
from fetchall.transport.limits import Share

_LENGTH = struct.Struct("!I")


class Setup(NamedTuple):
    """The first message to a worker: how to fetch, and its part of the run's bounds."""

    options: Options
    """The run's options."""
    share: Share
    """This worker's share of ``--limit`` and of the ``--rate`` grid (the coordinator holds the
    ``--per-host`` slots)."""
    save_root: Path | None
    save_directory: Path | None
    """Where ``--save`` writes (the root, and the staging directory of an ``all`` run)."""
    log_level: int
    """The coordinator's ``fetchall`` log level: with ``-v``, workers log retries and hops
    to the same standard error."""
    heartbeat_s: float = 0.5
    """How often the worker sends an :class:`Alive`."""


class Start(NamedTuple):
    """Fetch ``job``; ``save_as`` is the path the coordinator claimed for its body."""

    id: int
    job: Job
    save_as: PurePosixPath | None


class Cancel(NamedTuple):
    """Stop fetching job ``id`` at once (its connection closes); no answer follows."""

    id: int


class Done(NamedTuple):
    """Job ``id`` ended with ``result``."""

    id: int
    result: Result


class Alive(NamedTuple):
    """A sign of life; it rides in the same frame as any :class:`Done` of that turn."""


Message = Setup | Start | Cancel | Done | Alive
"""Every message; after its :class:`Setup`, a worker is sent only :data:`ToWorker`."""
ToWorker = Start | Cancel
FromWorker = Done | Alive


class Outbox:
    """Messages put in one turn of the event loop leave together, as one frame."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write
        self._messages: list[Message] = []

    def put(self, message: Message) -> None:
        """Queue ``message``; it leaves at the end of this turn of the event loop."""
        self._messages.append(message)
        if len(self._messages) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Send what is queued now."""
        messages, self._messages = self._messages, []
        if messages:
            data = pickle.dumps(messages, protocol=pickle.HIGHEST_PROTOCOL)
            self._write(_LENGTH.pack(len(data)) + data)


async def read_frame(reader: asyncio.StreamReader) -> list[Message] | None:
    """The next frame's messages, or None at the end of the stream."""
    try:
        header = await reader.readexactly(_LENGTH.size)
        messages: list[Message] = pickle.loads(await reader.readexactly(_LENGTH.unpack(header)[0]))
    except asyncio.IncompleteReadError:
        return None
    return messages
