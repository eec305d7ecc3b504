"""Credentials in URLs are hidden whatever characters they hold, valid URL or not."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from fetchall.shown import redact

_HOSTS = ("127.0.0.1:8080", "example.com", "[::1]:9000", "bücher.example")
# The one reading redact cannot tell from a host and port: ``u:12/x@h`` is host u, port 12.
_LIKE_A_PORT = re.compile(r"\d{1,5}[/?#]")


def _passwords(with_at: bool) -> st.SearchStrategy[str]:
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0x2FF)
    passwords = st.text(alphabet, min_size=4, max_size=30)
    if not with_at:
        passwords = passwords.filter(lambda text: "@" not in text)
    return passwords.filter(lambda text: not _LIKE_A_PORT.match(text))


class TestSpecialCharactersInPasswords:
    """A password's unencoded ``#``, ``?``, ``/`` or ``@`` does not show it."""

    @pytest.mark.parametrize("password", ["Se#cret1", "Se?cret2", "Se/cret3", "a@b/c?d#e"])
    def test_unencoded_special_characters(self, password: str) -> None:
        """The passwords that used to be shown in clear: everything to the host is hidden."""
        shown = redact(f"http://alice:{password}@127.0.0.1:8080/p")
        assert password not in shown
        assert "cret" not in shown
        assert shown.startswith("http://***@")

    def test_not_a_valid_url(self) -> None:
        """A line no parser accepts still has its credentials hidden."""
        assert redact("http://alice:p w#d@127.0.0.1:x/") == "http://***@127.0.0.1:x/"

    def test_at_in_path_of_url_with_credentials(self) -> None:
        """An ``@`` in the path or query of a URL with credentials stays."""
        shown = redact("http://u:p#w@h/users/@me?mail=a@b.com")
        assert shown == "http://***@h/users/@me?mail=a@b.com"

    def test_at_in_path_without_credentials(self) -> None:
        """``https://host/@alice`` (a profile page) has no credentials and stays whole."""
        assert redact("https://mastodon.example/@alice") == "https://mastodon.example/@alice"

    def test_nothing_looks_like_a_host(self) -> None:
        """With no host after any ``@``, everything up to the last ``@`` is hidden."""
        assert redact("http://u:p#x@/a@") == "http://***@"

    def test_not_a_url_without_at(self) -> None:
        """Text that is no valid URL and holds no ``@`` has nothing to hide."""
        assert redact("http://bü cher/x") == "http://bü cher/x"

    @given(_passwords(with_at=False), st.sampled_from(_HOSTS))
    @example("Se#cret1", "127.0.0.1:8080")
    @example("pa:ss/w?o#rd", "example.com")
    def test_password_without_at_never_shown(self, password: str, host: str) -> None:
        """Any password without ``@``: the shown URL is the host and path after ``***``."""
        shown = redact(f"https://alice:{password}@{host}/path")
        assert shown == f"https://***@{host}/path"

    @given(_passwords(with_at=True), st.sampled_from(_HOSTS))
    @example("p@ss/w@rd", "127.0.0.1:8080")
    def test_any_password_never_shown(self, password: str, host: str) -> None:
        """Any password at all, ``@`` included, never appears whole in what is shown (unless
        it is part of what may be shown: the scheme, the host or the path)."""
        assume(password not in f"https://***@{host}/path")
        shown = redact(f"https://alice:{password}@{host}/path")
        assert password not in shown
        assert shown.startswith("https://***@")
