"""The `observatoire` command: one subcommand per module in `observatoire.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Each module defines `register(subparsers)` adding its subcommand with `set_defaults(run=...)`,
# where `run(args) -> int` returns the process exit code.
COMMAND_MODULES = ("match", "indicators", "explain", "dictionary_diff", "dictionary")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="observatoire",
        description="Measure environmental airtime in French TV and radio captions.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"observatoire.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`observatoire indicators | head`): that is not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # what a shell reports for a tool stopped by SIGPIPE, as `cat` would be
    return code


if __name__ == "__main__":
    sys.exit(main())
