"""``m2gui`` and ``python -m m2gui``."""

from __future__ import annotations

import sys


def main() -> None:
    from m2gui.app import main as run

    sys.exit(run())


if __name__ == "__main__":
    main()
