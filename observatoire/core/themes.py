"""The fixed taxonomy of the method: themes, and the crisis and causal link each theme implies.

The theme is the only thing a dictionary entry states; crisis and causal link are derived here so
that they can never disagree with it.
"""

from __future__ import annotations

from typing import Final

CRISES: Final = ("climat", "biodiversite", "ressources")
CAUSAL_LINKS: Final = ("constat", "causes", "consequences", "solutions")

THEMES: Final[dict[str, tuple[str, str]]] = {
    "changement_climatique_constat": ("climat", "constat"),
    "changement_climatique_causes": ("climat", "causes"),
    "changement_climatique_consequences": ("climat", "consequences"),
    "attenuation_climatique_solutions": ("climat", "solutions"),
    "adaptation_climatique_solutions": ("climat", "solutions"),
    "biodiversite_concepts_generaux": ("biodiversite", "constat"),
    "biodiversite_causes": ("biodiversite", "causes"),
    "biodiversite_consequences": ("biodiversite", "consequences"),
    "biodiversite_solutions": ("biodiversite", "solutions"),
    "ressources": ("ressources", "constat"),
    "ressources_solutions": ("ressources", "solutions"),
}


def crisis_of(theme: str) -> str:
    """Crisis (climat, biodiversite, ressources) a theme belongs to."""
    return THEMES[theme][0]


def causal_link_of(theme: str) -> str:
    """Causal link (constat, causes, consequences, solutions) a theme expresses."""
    return THEMES[theme][1]
