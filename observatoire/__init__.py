"""The Observatoire measurement method as a plain Python library (no Dagster import).

Every rule of the methodology lives here so it can be used and tested from a notebook;
the Dagster assets are thin wrappers around these functions.
"""

METHODOLOGY_VERSION = "2026.6"
