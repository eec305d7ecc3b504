"""Whatever bytes an input holds, reading and validating it never crashes."""

from __future__ import annotations

import tempfile
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fetchall.inputs.lines import read_jobs
from fetchall.models import ErrorKind, Job
from fetchall.shown import redact
from fetchall.urls import InvalidURL, invalid_result, parse_url

_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_VALID_LINES = st.sampled_from(
    [
        b"http://example.com/",
        b"https://u:p@example.com/a?b=c#d",
        b"HTTP://[::1]:8080/x",
        "http://bücher.example/".encode(),
        b"ftp://x/",
        b"example.com/x",
        b"http://",
        b"http://h:99999/",
        b"# comment",
        b"   ",
        b"",
    ]
)
_PIECES = st.one_of(
    _VALID_LINES,
    st.sampled_from(
        [
            b"\r\n",
            b"\n",
            b"\r",
            b"\x00",
            b"\xef\xbb\xbf",
            b"\xff",
            b"\x1b[31m",
            b"#",
            b"\xc2\x85",
            b"\xc2\x9b",
            b"\xef\xbf\xbf",
        ]
    ),
    st.builds(
        lambda byte, n: byte * n, st.sampled_from([b"a", b" ", b"\xff", b"/"]), st.integers(1, 9000)
    ),
    st.binary(max_size=64),
    # A URL near the 8 KiB limit behind some blanks: where cutting and stripping meet.
    st.builds(
        lambda pad, n: b" " * pad + b"http://x/" + b"a" * n,
        st.integers(0, 300),
        st.integers(8000, 8300),
    ),
)
_INPUTS = st.one_of(
    st.binary(max_size=4096),
    st.lists(_PIECES, max_size=30).map(b"".join),
)


def _read(data: bytes) -> list[Job]:
    """Every job ``read_jobs`` finds in a temporary file holding ``data``."""
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        file.seek(0)
        return [job for batch in read_jobs(file.fileno(), "in.txt", 0) for job in batch]


def _is_printable_utf8(text: str) -> bool:
    """No control character (C0, DEL or C1), no surrogate, no U+FFFE/U+FFFF (not XML)."""
    text.encode("utf-8")  # raises on surrogates
    return not any(
        unicodedata.category(char) in {"Cc", "Cs"} or char in "\ufffe\uffff" for char in text
    )


class TestAnyInput:
    """Arbitrary input bytes become numbered jobs that are valid or reported as invalid."""

    @_SETTINGS
    @given(_INPUTS)
    def test_every_job_parses_or_is_an_invalid_url_result(self, data: bytes) -> None:
        """Each job parses, or yields an ``invalid_url`` result whose message starts with its
        source; indexes are 0..n-1 in order; what is shown is printable UTF-8."""
        jobs = _read(data)
        assert [job.index for job in jobs] == list(range(len(jobs)))
        for job in jobs:
            result = invalid_result(job)
            if result is None:
                parse_url(job.url)
            else:
                assert result.error is not None
                assert result.error.kind is ErrorKind.INVALID_URL
                assert result.error.message.startswith(f"{job.source} ")
                assert (result.index, result.source, result.ok) == (job.index, job.source, False)
                assert _is_printable_utf8(result.url)
            assert _is_printable_utf8(redact(job.url))

    @_SETTINGS
    @given(_INPUTS)
    def test_sources_name_increasing_lines(self, data: bytes) -> None:
        """Sources are ``in.txt:N`` with N strictly increasing and within the line count."""
        jobs = _read(data)
        numbers = [int(job.source.removeprefix("in.txt:")) for job in jobs]
        assert numbers == sorted(set(numbers))
        assert all(1 <= n <= data.count(b"\n") + 1 for n in numbers)

    @_SETTINGS
    @given(_INPUTS)
    def test_accepted_url_is_its_whole_line(self, data: bytes) -> None:
        """A URL that is accepted is exactly the stripped text of its line, never a cut of it."""
        lines = data.split(b"\n")
        for job in _read(data):
            if invalid_result(job) is not None:
                continue
            number = int(job.source.removeprefix("in.txt:"))
            raw = lines[number - 1]
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            assert job.url == raw.decode("utf-8").strip()


class TestRedactAnyText:
    """``redact`` turns any text into something printable."""

    @_SETTINGS
    @given(
        st.text(max_size=3000)
        | st.binary(max_size=3000).map(lambda b: b.decode("utf-8", "surrogateescape"))
    )
    def test_printable_and_bounded(self, text: str) -> None:
        """The shown text is printable UTF-8 and at most 2001 characters long."""
        shown = redact(text)
        assert _is_printable_utf8(shown)
        assert len(shown) <= 2001

    @_SETTINGS
    @given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="/?#@"), min_size=1))
    def test_password_never_shown(self, secret: str) -> None:
        """Whatever the password, it does not appear in the shown URL."""
        shown = redact(f"https://user:{secret}XYZ@host.example/")
        assert shown == "https://***@host.example/"

    @_SETTINGS
    @given(st.text(max_size=200))
    def test_parse_url_raises_only_invalid_url(self, text: str) -> None:
        """``parse_url`` either returns an http(s) URL with a host or raises InvalidURL."""
        try:
            url = parse_url(text)
        except InvalidURL:
            return
        assert url.scheme in {"http", "https"}
        assert url.host
