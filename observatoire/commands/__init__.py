"""Subcommands of the `observatoire` command line."""
