"""``python -m fetchall``."""

from fetchall.cli import main

main()
