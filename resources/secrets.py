"""Secrets in resource configuration: bound to the environment variable holding them.

definitions.py builds every resource from the settings when the code location loads; a secret
that came from the environment is passed as `dagster.EnvVar(name)`, which the Dagster UI shows by
name and Dagster resolves when a run initialises the resource. Nothing reads the environment
during a run. A resource used outside a run (command line, notebook, tests) resolves it itself.
"""

from __future__ import annotations

from dagster import EnvVar

from observatoire.settings import variable_holding


def bound_secret(value: str | None, variables: tuple[str, ...]) -> str | None:
    """`EnvVar(name)` when one of `variables` holds `value` in the environment, else `value`."""
    name = variable_holding(value, variables)
    return EnvVar(name) if name else value


def resolved_secret(value: str | None) -> str | None:
    """Inside a run Dagster resolves EnvVar fields; outside one (CLI, notebook) we do."""
    return value.get_value() if isinstance(value, EnvVar) else value
