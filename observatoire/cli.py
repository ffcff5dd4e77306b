"""The `observatoire` command: one subcommand per module in `observatoire.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines `register(subparsers)` adding its subcommand with `set_defaults(run=...)`,
# where `run(args) -> int` returns the process exit code.
COMMAND_MODULES = ("match", "indicators", "explain")


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
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
