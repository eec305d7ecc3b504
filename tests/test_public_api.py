"""The package root is the whole public API, and the CLI's choices match the library's."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import fetchall
from fetchall import cli
from fetchall.formats import Format


class TestExports:
    def test_all_is_sorted_and_importable(self) -> None:
        """Every name in __all__ resolves, and the list is sorted."""
        assert fetchall.__all__ == sorted(fetchall.__all__)
        for name in fetchall.__all__:
            assert getattr(fetchall, name) is not None

    def test_version_matches_metadata(self) -> None:
        """__version__ is the installed distribution's version."""
        assert fetchall.__version__ == importlib.metadata.version("fetchall")

    def test_cli_choices_match_enums(self) -> None:
        """The CLI's spelled-out choices are exactly the library's enums."""
        assert tuple(m.value for m in fetchall.Mode) == cli.MODES
        assert tuple(f.value for f in Format) == cli.FORMATS

    def test_help_and_version_do_not_load_aiohttp(self) -> None:
        """--help and --version start without importing aiohttp or asyncio."""
        for args in (["--version"], ["--help"], ["--format", "json", "--help"]):
            # The console entry point, as the installed command runs it.
            probe = (
                f"import sys; sys.argv = ['fetchall', *{args!r}]\n"
                "from fetchall.__main__ import main\n"
                "try:\n    main()\nexcept SystemExit:\n    pass\n"
                "print(sorted(m for m in ('aiohttp', 'asyncio', 'yarl') if m in sys.modules))"
            )
            output = subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, check=True
            ).stdout
            assert output.splitlines()[-1] == "[]", args
