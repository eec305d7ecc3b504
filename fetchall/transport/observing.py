"""What checks are judged on, taken from an aiohttp response: headers, the body kept for them,
the time the attempt took, and the certificate of the connection that served it (noted by
:class:`fetchall.transport.sessions.CertificateNotingResponse`)."""

from __future__ import annotations

from datetime import datetime

import aiohttp

from fetchall.checks import Observed
from fetchall.models import Response


def observed_of(
    response: aiohttp.ClientResponse,
    seen: Response,
    *,
    elapsed: float,
    body: bytes | None,
    cert_expires: datetime | None,
    tls_verified: bool,
    with_headers: bool,
) -> Observed:
    """The :class:`Observed` of the final response, for :func:`fetchall.checks.judge`."""
    return Observed(
        status=seen.status,
        final_url=seen.final_url,  # redacted: a message may show it
        elapsed=elapsed,
        # Copied only for header checks: most checks never look at them.
        headers=tuple(response.headers.items()) if with_headers else (),
        body=body,
        cert_expires=cert_expires,
        tls_verified=tls_verified,
    )
