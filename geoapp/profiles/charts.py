"""The charts of a profile page (filled in once layers.charts lands)."""
from __future__ import annotations


def for_page(profile: dict) -> dict:
    return {"inline": {}, "url": None, "spines": [False] * len(profile["themes"])}
