"""TLS settings of a run: whom to trust (``--cacert``), who we are (``--cert``/``--key``), or
no verification at all (``--insecure``)."""

from __future__ import annotations

import ssl

from fetchall.options import Options


def ssl_context_for(options: Options) -> ssl.SSLContext | bool:
    """What aiohttp's connector takes as ``ssl``: True for its own default context (made only
    when a first https connection needs it), a context of ours, or False with ``--insecure``.

    Raise ``ValueError`` naming the option and the file when a file is missing, unreadable or
    not PEM, so that the command can refuse to start before any request is sent.
    """
    if options.cert is None and options.cacert is None:
        return not options.insecure
    try:
        context = ssl.create_default_context(
            cafile=None if options.cacert is None else str(options.cacert)
        )
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"--cacert {options.cacert}: {_reason(exc)}") from None
    if options.cert is not None:
        try:
            context.load_cert_chain(
                str(options.cert), None if options.key is None else str(options.key)
            )
        except (OSError, ssl.SSLError) as exc:
            named = f"--cert {options.cert}"
            if options.key is not None:
                named += f" / --key {options.key}"
            raise ValueError(f"{named}: {_reason(exc)}") from None
    if options.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reason(exc: OSError | ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLError):
        detail = "" if exc.reason is None else f" ({exc.reason.lower().replace('_', ' ')})"
        return f"not a usable PEM certificate or key{detail}"
    return exc.strerror or str(exc)
