"""``m2gui-cli`` and ``python -m m2gui.cli``."""

from __future__ import annotations

import sys

from .exit_codes import ExitCode
from .output import Output, setup_logging
from .parser import build_parser
from .runtime import CliError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run ``m2gui-cli`` with ``argv`` (default: the process's); return the exit code."""
    out = Output()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    try:
        parser = build_parser()
        try:
            args = parser.parse(argv)
            try:
                setup_logging(args.log_level)
            except ValueError as error:
                parser.error(f"argument --log-level: {error}")
        except SystemExit as exit_:
            out.finish()
            return exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        code = int(args.handler(args, out))
    except CliError as error:
        out.message(str(error))
        code = int(error.code)
    except KeyboardInterrupt:
        out.message("interrupted", "warning")
        code = int(ExitCode.INTERRUPTED)
    out.finish()
    if out.error is not None:
        # a reader closing the pipe is fine; a results file that cannot be written is not
        out.message(f"cannot write the results to stdout: {out.error}")
        if code == ExitCode.OK:
            code = int(ExitCode.FAIL)
    return code


if __name__ == "__main__":
    sys.exit(main())
