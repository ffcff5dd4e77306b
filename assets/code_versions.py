"""Code versions of the daily assets: the methodology version plus every method parameter the
asset's output depends on, so that changing one marks exactly those assets' days out of date."""

from __future__ import annotations

from observatoire import METHODOLOGY_VERSION
from resources.method import MethodResource


def matching_version(method: MethodResource) -> str:
    """theme_segments and theme_keywords: counted per window, by the counting profile."""
    return f"{METHODOLOGY_VERSION}-w{method.window_seconds}-{method.profile}"


def indicators_version(method: MethodResource) -> str:
    """channel_indicators: minutes are windows times the window length."""
    return f"{METHODOLOGY_VERSION}-w{method.window_seconds}"


def monitoring_version() -> str:
    """time_monitored: grid and caption minutes, no method parameter."""
    return METHODOLOGY_VERSION
