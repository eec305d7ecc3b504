"""What SIGINT and SIGTERM do: stop a run that is going, end the process at once otherwise.

During a run, a signal stops it as any other reason to stop does, and the run still reports
what finished, with the cancelled count. Outside a run (while options are parsed, as the report
is finished) a signal ends the process at once with its exit status, rather than with a
KeyboardInterrupt in the middle of the interpreter's shutdown. A second Ctrl-C during a run
means the user does not want to wait for a clean stop: the process ends at once too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from fetchall.cli.status import ExitStatus

if TYPE_CHECKING:
    from fetchall.engine.run import Stopper

_HANDLED = (signal.SIGINT, signal.SIGTERM)


def _status_of(signum: int) -> ExitStatus:
    return ExitStatus.SIGINT if signum == signal.SIGINT else ExitStatus.SIGTERM


def exit_at_once_on_signals() -> None:
    """From now on, SIGINT and SIGTERM end the process at once with 130 and 143."""
    for signum in _HANDLED:
        signal.signal(signum, _exit_at_once)


def _exit_at_once(signum: int, frame: object) -> None:
    with contextlib.suppress(OSError, ValueError):  # a closed or broken stdout
        sys.stdout.flush()
    os._exit(_status_of(signum))


class SignalsStopRun:
    """While inside, SIGINT and SIGTERM stop the run through its ``stopper``.

    Used inside the run's event loop; on leaving, the handlers found on entry are put back.
    """

    def __init__(self, stopper: Stopper) -> None:
        self.received: int | None = None
        """The first signal that came, if any."""
        self._stopper = stopper
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def __enter__(self) -> SignalsStopRun:
        import asyncio  # noqa: PLC0415 (only once a run starts)

        loop = asyncio.get_running_loop()
        for signum in _HANDLED:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                handler = signal.getsignal(signum)
                loop.add_signal_handler(signum, self._on_signal, signum)
                self._previous[signum] = handler
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        import asyncio  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        try:
            for signum, handler in self._previous.items():
                loop.remove_signal_handler(signum)
                # The loop puts Python's default handler back; the one found on entry it is.
                signal.signal(signum, handler)
        except KeyboardInterrupt:
            # A Ctrl-C in the instant between the two found Python's default handler: it is
            # a second Ctrl-C (the run was stopping or done), which ends the process at once.
            _exit_at_once(signal.SIGINT, None)

    def _on_signal(self, signum: int) -> None:
        from fetchall.engine.stopping import StopReason  # noqa: PLC0415

        if self.received is not None and signum == signal.SIGINT:
            os._exit(ExitStatus.SIGINT)
        self.received = signum
        self._stopper.stop(StopReason.INTERRUPTED)
