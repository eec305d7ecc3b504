"""``python -m fetchall`` and the ``fetchall`` command."""

import sys


def main() -> None:
    """Console entry point. ``--version`` alone is answered without loading the CLI."""
    if sys.argv[1:] == ["--version"]:
        from fetchall._version import __version__  # noqa: PLC0415 (the point is to import nothing else)

        print(f"fetchall {__version__}")
        return
    from fetchall.process import collect_less_often  # noqa: PLC0415

    collect_less_often()  # before the imports, which allocate a great many objects too
    from fetchall.cli import main as run_cli  # noqa: PLC0415

    run_cli()


if __name__ == "__main__":
    main()
