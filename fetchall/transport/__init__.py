"""The seam between the engine and the network.

The engine decides *what* runs and when it stops; a :class:`Transport` only turns one job into
one result. :class:`fetchall.transport.fetcher.Fetcher` fetches in this process;
:class:`fetchall.transport.workers.WorkerPool` spreads the jobs over worker processes. Tests
may pass any object with this shape.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fetchall.models import Job, Result
from fetchall.options import Options

if TYPE_CHECKING:
    from fetchall.saving import BodyStore


class Transport(AbstractAsyncContextManager["Transport"], Protocol):
    """Fetches jobs concurrently once entered; ``async with`` owns its connections."""

    async def fetch(self, job: Job) -> Result:
        """Fetch ``job``; every outcome but cancellation is a :class:`Result`.

        Cancelling the call stops the fetch and closes its connection.
        """
        ...


@dataclass(slots=True)
class Tries:
    """What a fetch had done when it was cancelled: its attempts and the time they took.

    A fetch writes it only on its way out with ``CancelledError``, so that a job stopped by
    ``--deadline`` or cancelled still reports them; a run where nothing is cancelled never
    touches it. The engine hands one to each of its slots through :data:`TRIES` (a slot is
    a task, so each has its own).
    """

    attempts: int = 0
    elapsed_ms: int = 0


TRIES: ContextVar[Tries] = ContextVar("fetchall_tries")
"""The :class:`Tries` of the task that is fetching, if its engine asked for one."""


def transport_for(options: Options, store: BodyStore | None) -> Transport:
    """The transport ``options`` ask for: worker processes with ``workers > 1``, else this one."""
    # Imported here: each pulls in aiohttp, and worker processes also multiprocessing helpers.
    if options.workers > 1:
        from fetchall.transport.workers import WorkerPool  # noqa: PLC0415

        return WorkerPool(options, store, options.workers)
    from fetchall.transport.fetcher import Fetcher  # noqa: PLC0415

    return Fetcher(options, store)
