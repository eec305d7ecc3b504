"""TLS options against a local https server with certificates made for the test: whom to
trust (``cacert``), who we are (``cert``/``key``), and no verification (``insecure``)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from support.cli import assert_one_line_usage_error, invoke
from support.fault_server import FaultServer

import fetchall
from fetchall import ErrorKind, Options
from fetchall.transport.tls import ssl_context_for


class TLSSetup:
    def __init__(self, directory: Path, *, client_certificates: bool) -> None:
        self.ca = trustme.CA()
        self.cacert = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.cacert))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        if client_certificates:
            self.ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        self.server = FaultServer(ssl_context=context).start()
        client = self.ca.issue_cert("client@example.test")
        self.cert = directory / "client.pem"
        self.key = directory / "client.key"
        client.cert_chain_pems[0].write_to_path(str(self.cert))
        client.private_key_pem.write_to_path(str(self.key))


@pytest.fixture(name="tls")
def _tls(tmp_path: Path) -> Iterator[TLSSetup]:
    setup = TLSSetup(tmp_path, client_certificates=False)
    yield setup
    setup.server.stop()


@pytest.fixture(name="mtls")
def _mtls(tmp_path: Path) -> Iterator[TLSSetup]:
    setup = TLSSetup(tmp_path, client_certificates=True)
    yield setup
    setup.server.stop()


def fetch(url: str, **options: object) -> fetchall.Result:
    report = asyncio.run(fetchall.fetch_all([url], **options))
    (result,) = report.results
    return result


def kind(result: fetchall.Result) -> ErrorKind | None:
    return None if result.error is None else result.error.kind


def test_an_unknown_authority_is_a_tls_failure(tls: TLSSetup) -> None:
    assert kind(fetch(tls.server.url("/ok"))) is ErrorKind.TLS


def test_cacert_trusts_the_given_authority(tls: TLSSetup) -> None:
    result = fetch(tls.server.url("/ok"), cacert=tls.cacert)
    assert (result.ok, result.status) == (True, 200)


def test_insecure_skips_verification(tls: TLSSetup) -> None:
    assert fetch(tls.server.url("/ok"), insecure=True).ok


def test_a_server_that_wants_a_client_certificate(mtls: TLSSetup) -> None:
    url = mtls.server.url("/ok")
    assert not fetch(url, cacert=mtls.cacert).ok
    assert fetch(url, cacert=mtls.cacert, cert=mtls.cert, key=mtls.key).ok
    assert mtls.server.hits["/ok"] == 1


def test_client_certificate_and_key_in_one_file(mtls: TLSSetup, tmp_path: Path) -> None:
    both = tmp_path / "both.pem"
    both.write_bytes(mtls.cert.read_bytes() + mtls.key.read_bytes())
    assert fetch(mtls.server.url("/ok"), cacert=mtls.cacert, cert=both).ok


@pytest.mark.parametrize(
    ("field", "content", "named"),
    [
        ("cacert", None, "--cacert"),
        ("cacert", b"not a certificate\n", "--cacert"),
        ("cert", None, "--cert"),
        ("cert", b"-----BEGIN CERTIFICATE-----\nnope\n", "--cert"),
    ],
)
def test_a_missing_or_malformed_file_names_the_option_and_the_file(
    tmp_path: Path, field: str, content: bytes | None, named: str
) -> None:
    path = tmp_path / "given.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=f"^{named} {path}: ") as raised:
        ssl_context_for(Options(**{field: path}))  # type: ignore[arg-type]
    assert "Traceback" not in str(raised.value)


def test_a_key_without_a_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="key needs cert"):
        Options(key=tmp_path / "k.pem")


def test_without_tls_files_aiohttp_keeps_its_default_context() -> None:
    assert ssl_context_for(Options()) is True
    assert ssl_context_for(Options(insecure=True)) is False


@pytest.mark.parametrize("option", ["--cacert", "--cert", "--key"])
def test_the_command_refuses_a_missing_file_before_any_request(
    option: str, tmp_path: Path, server: FaultServer
) -> None:
    missing = tmp_path / "missing.pem"
    extra = ["--cert", str(tmp_path / "missing.pem")] if option == "--key" else []
    result = invoke([option, str(missing), *extra, server.url("/ok")])
    assert_one_line_usage_error(result, option, str(missing))
    assert server.total_requests == 0


def test_the_command_refuses_a_malformed_file_naming_it(
    tmp_path: Path, server: FaultServer
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("hello\n")
    result = invoke(["--cacert", str(bad), server.url("/ok")])
    assert_one_line_usage_error(result, f"--cacert {bad}: not a usable PEM")
    assert server.total_requests == 0


def test_the_command_with_cacert_and_client_certificate(mtls: TLSSetup) -> None:
    args = ["--cacert", str(mtls.cacert), "--cert", str(mtls.cert), "--key", str(mtls.key)]
    result = invoke([*args, "--format", "jsonl", mtls.server.url("/ok")])
    assert result.exit_code == 0, result.output
    assert '"status": 200' in result.stdout


def test_a_bad_key_names_both_files(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = tmp_path / "client.pem"
    ca.issue_cert("client@example.test").cert_chain_pems[0].write_to_path(str(cert))
    key = tmp_path / "missing.key"
    with pytest.raises(ValueError, match=f"^--cert {cert} / --key {key}: "):
        ssl_context_for(Options(cert=cert, key=key))


def test_insecure_with_a_cacert_verifies_nothing(tmp_path: Path) -> None:
    cacert = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(cacert))
    context = ssl_context_for(Options(cacert=cacert, insecure=True))
    assert isinstance(context, ssl.SSLContext)
    assert (context.check_hostname, context.verify_mode) == (False, ssl.CERT_NONE)
