"""What checks are judged on (:class:`Observed`) and what judging one gives (:class:`CheckOutcome`).

Both are plain values with no aiohttp in them, so checks can be judged, tested and reported
without a network; the fetcher fills an :class:`Observed` from the final response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fetchall.checks.model import WARN_PREFIX, CheckKey


@dataclass(frozen=True, slots=True)
class Observed:
    """What the final response of a job showed, as far as checks need it."""

    status: int
    """The final HTTP status."""
    final_url: str
    """The URL after redirects; its scheme says whether there was a certificate to check."""
    elapsed: float
    """Seconds the final attempt took (the job's ``elapsed_ms`` when it was tried once)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Every response header as ``(name, value)``, repeated names included, in order."""
    body: bytes | None = None
    """The whole body, or None when it was not kept (no ``body`` or ``json`` check asked)."""
    cert_expires: datetime | None = None
    """When the server's certificate expires (timezone-aware), or None when none was seen."""
    tls_verified: bool = True
    """False under ``--insecure``: a certificate that was not verified proves nothing."""

    @property
    def is_https(self) -> bool:
        """Whether the final response came over TLS, judging by the final URL's scheme."""
        return self.final_url[:8].lower() == "https://"

    def header(self, name: str) -> str | None:
        """Header ``name`` in any case, several values joined with ``, ``; None when absent."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """How one check went. ``message`` says what was seen, whether the check passed or not."""

    check: str
    """The check exactly as written."""
    ok: bool
    message: str
    """What was seen, without the check's text, e.g. ``not found`` or ``took 1.21 s``."""
    key: CheckKey
    """The check's key: a failed ``status`` check makes an ``http_status`` failure."""
    warn: bool = False
    """A ``warn:`` check (not under ``--strict``): failing it warns, it does not fail the job."""

    def to_dict(self) -> dict[str, object]:
        """The JSON object of a result's ``checks`` list: ``{"check", "ok", "message"}``."""
        return {"check": self.check, "ok": self.ok, "message": self.message}

    @classmethod
    def from_dict(cls, item: dict[str, object]) -> CheckOutcome:
        """Read back from :meth:`to_dict` (``--merge``); ValueError for a text that is no check."""
        text = str(item["check"])
        # A check's text starts with its key word (``status=200``, ``header:X~y``), after
        # ``warn:`` for a warning check.
        plain = text.removeprefix(WARN_PREFIX)
        key = CheckKey.named(plain[: len(plain) - len(plain.lstrip("abcdefghijklmnopqrstuvwxyz"))])
        if key is None:
            raise ValueError(f"not a check: {text!r}")
        return cls(text, bool(item["ok"]), str(item["message"]), key, plain != text)

    def __str__(self) -> str:
        """``body~Welcome: not found``, the form used in failure messages."""
        return f"{self.check}: {self.message}"
