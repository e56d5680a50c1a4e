"""The board pack's first page: an area's people, its deprivation in brief, and where its figures differ
significantly from the borough's and England's.

Everything is read from the profile (:class:`layers.profile.Profile`), its deprivation section and the
borough's: the comparison marks are the profile's own, never judged again here.
"""
from __future__ import annotations

from layers.figures import period_key
from layers.profile import Deprivation, DeprivationRelease, KeyFacts, Profile
from layers.text import lower_first

#: The comparisons a briefing lists: the profile's key for the comparator, and each indicator's mark against it.
COMPARATORS = (("borough", "compared_with_borough"), ("england", "compared_with_england"))
#: Marks listed item by item (a significant difference); "similar" and "not compared" are only counted.
LISTED = ("worse", "better", "higher", "lower")
#: Domains named as the area's most deprived, at most.
DOMAINS_NAMED = 2


def briefing(profile: Profile) -> dict:
    """The first page of an area's board pack, from its profile (with the borough's deprivation section)."""
    return {"periods": periods(profile), "people": people(profile.key_facts),
            "deprivation": deprivation_in_brief(profile.deprivation, profile.borough_deprivation),
            "comparisons": [found for key, mark in COMPARATORS
                            if (found := comparison(profile, key, mark)) is not None]}


def periods(profile: Profile) -> list[str]:
    """The distinct periods of the figures shown, earliest first."""
    found = {i.period for i in profile.indicators if i.value is not None}
    return sorted((p for p in found if p), key=period_key)


def people(key_facts: KeyFacts) -> dict | None:
    """The population of the key facts (same figure, period, source, method) and its share in each age band."""
    if not key_facts.population:
        return None
    bands = [{"words": lower_first(b.title), "share": b.share, "period": b.period}
             for b in key_facts.age_bands if b.share is not None]
    return {"population": key_facts.population, "age_bands": bands}


def comparison(profile: Profile, key: str, mark: str) -> dict | None:
    """The indicators the profile marks significantly different from one comparator, by mark, with counts.

    ``None`` when the profile has no such comparator, or the area is the borough itself.
    """
    comparator = getattr(profile, key)
    area = profile.area
    if comparator is None or (key == "borough" and (comparator.set, comparator.code)
                              == (area.set["id"], area.code)):
        return None
    found = {word: [] for word in LISTED} | {"similar": 0, "not_compared": 0}
    for item in profile.indicators:
        word = getattr(item, mark)
        if word in LISTED:
            found[word].append({"indicator": item, "comparator": getattr(item, key).value})
        elif item.value is not None:
            found["similar" if word == "similar" else "not_compared"] += 1
    return {"key": key, "name": comparator.name, **found}


def deprivation_in_brief(section: Deprivation | None, borough: Deprivation | None) -> dict | None:
    """The facts of the deprivation paragraph: the latest release's headline index for the area (share of its
    small areas in England's most deprived 10%, residents living in them, average score) against the borough's,
    the domains with most small areas in that 10%, and the same share in the earlier releases."""
    if not section:
        return None
    headline = _headline(section)
    out = {"release": section.release, "period": section.period, "notes": section.notes,
           "headline": headline, "borough": _headline(borough) if borough else None,
           "domains": [], "earlier": [], "comparable": section.caveat is None}
    if headline is None:
        return out
    ranked = sorted((row for row in section.summary[1:] if row.proportion_most_deprived_10pc),
                    key=lambda row: -row.proportion_most_deprived_10pc)
    out["domains"] = [{"label": row.label, "share": row.proportion_most_deprived_10pc}
                      for row in ranked[:DOMAINS_NAMED]]
    out["earlier"] = [{"release": e.release, "headline": _headline(e)} for e in section.earlier if _headline(e)]
    return out


def _headline(section: DeprivationRelease) -> dict | None:
    """The first summary row of a release (the Index of Multiple Deprivation when loaded), with the LSOAs in
    its most deprived 10% counted and the share of residents living in them."""
    if not section.summary:
        return None
    row = section.summary[0]
    share, lsoas = row.proportion_most_deprived_10pc, row.lsoas
    deciles = next((d.shares for d in section.deciles if d.domain == row.domain), None)
    deprived = None if share is None else share * lsoas
    return {"domain": row.domain, "label": row.label, "lsoas": lsoas, "share_of_lsoas": share,
            "deprived_lsoas": deprived,
            "whole": deprived is not None and _whole(lsoas) and _whole(deprived),
            "residents_share": deciles[0] if deciles else None, "average_score": row.average_score,
            "ranks": row.ranks}


def _whole(number: float) -> bool:
    return abs(number - round(number)) < 0.005
