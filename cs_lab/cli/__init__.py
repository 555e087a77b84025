"""The `cs-lab` command line: a thin layer over the library.

Each sub-command lives in its own module exposing ``register(subparsers)``;
add a module name to COMMANDS to plug one in.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from cs_lab.errors import CsLabError

COMMANDS = ("data", "run", "tune", "evaluate", "rules", "simulate", "report", "ope", "priors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cs-lab", description="Cross-sell recommendation lab")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"cs_lab.cli.{name}").register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, a scheduler's time limit): handled like Ctrl-C, so open MLflow runs are
    ended KILLED and locks are released on the way out."""


def _raise_terminated(signum, frame):
    from cs_lab._signals import interrupt

    interrupt(Terminated())          # deferred while an MLflow store write is under way


def install_sigterm_handler() -> None:
    """Turn SIGTERM into :class:`Terminated` (a KeyboardInterrupt) in the main thread."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _raise_terminated)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_sigterm_handler()
    try:
        return int(args.func(args) or 0)
    except CsLabError as exc:
        print(f"cs-lab: error: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print("cs-lab: terminated (SIGTERM); open runs ended KILLED, resume with the same command",
              file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("cs-lab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
