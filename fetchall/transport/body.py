"""Reading a response's body: counted, bounded by ``--max-size``, saved, kept for checks.

One loop reads every body, whatever is done with it; a body that grows past ``--max-size``
(or declares it will) fails the attempt at once and drops its connection.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import aiohttp

from fetchall.models import ErrorKind, FetchError, Response
from fetchall.transport.attempt import AttemptFailed, seen_of

if TYPE_CHECKING:
    from fetchall.saving import BodyStore, FileSink


async def read_body(
    response: aiohttp.ClientResponse,
    max_size: int | None,
    sink: FileSink | None = None,
    kept: list[bytes] | None = None,
) -> int:
    """Read the whole body into ``sink`` and ``kept`` (when given); return its length.

    Raise :class:`AttemptFailed` (``too_large``) at once past ``max_size``.
    """
    declared = response.content_length
    size = 0
    if max_size is None or declared is None or declared <= max_size:
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if max_size is not None and size > max_size:
                break
            if sink is not None:
                sink.write(chunk)
            if kept is not None:
                kept.append(chunk)
        else:
            return size
    response.close()  # drop the connection rather than drain a body nobody wants
    message = _too_large(max_size or 0, declared if size == 0 else None)
    raise AttemptFailed(FetchError(ErrorKind.TOO_LARGE, message), seen_of(response, size))


async def receive(
    response: aiohttp.ClientResponse,
    max_size: int | None,
    store: BodyStore | None,
    save_as: PurePosixPath | None,
    kept: list[bytes] | None = None,
) -> Response:
    """Read the body, saving it to ``store`` as ``save_as`` when both are given.

    The caller passes no ``save_as`` for a body that is not to be kept (its status failed).
    """
    if store is None or save_as is None:
        return seen_of(response, await read_body(response, max_size, None, kept))
    from fetchall.saving import SaveFailed  # noqa: PLC0415 (loaded with the store already)

    saved_to = None
    size = 0
    try:
        # Bodies are laid out by the URL as given, so users can find them from their list.
        sink = store.open(save_as)
        try:
            size = await read_body(response, max_size, sink, kept)
            saved_to = sink.commit()
        finally:
            # Failed, timed out or cancelled (CancelledError passes on): no file stays.
            if saved_to is None:
                sink.discard()
    except SaveFailed as failure:
        response.close()  # the rest of the body has nowhere to go
        error = FetchError(ErrorKind.SAVE, failure.message)
        raise AttemptFailed(error, seen_of(response, size)) from None
    return seen_of(response, size, saved_to)


def _too_large(limit: int, declared: int | None) -> str:
    if declared is not None:
        return f"body of {declared} bytes is over --max-size {limit}"
    return f"body is over --max-size {limit} bytes"
