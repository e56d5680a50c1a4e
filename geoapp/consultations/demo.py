"""Fictional consultation and engagement activity for the demo borough, so its map and timeline show something.

Fifteen activities by four organisers (the council, the police, an NHS trust and the council for voluntary
service), dated around ``today``: most in the past year, a few planned. They are placed so that the map
shows both concentration (one ward with several activities) and gaps (an APB with none of its own).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.groups import THEMES

from ..storage import audit, boundary_sets
from ..storage.groups import published_groups
from ..storage.models import Consultation
from .service import clean
from .timeline import add_months

CYP, SAFER, HEALTH, ECON, SUST = THEMES
RESULTS = "https://example.org/ashvale/consultations/"


def add_demo_consultations(session: Session, *, today: date | None = None, actor: str = "demo") -> int:
    """Add the demo activities not already stored (same title and organiser) to the demo borough's store.

    Needs the demo's boundary sets ("lad", "apb", "wards", "lsoa"); dates are months before or after
    ``today`` (by default the real today). Returns how many were added; audited as one import.
    """
    today = today or date.today()
    for set_id in ("lad", "apb", "wards", "lsoa"):
        boundary_sets.get_set(session, set_id)
    place = boundary_sets.load_areas(session, "lad")["name"].iloc[0].split(" (")[0]
    council, police = f"{place} Borough Council", f"{place} Neighbourhood Policing Team"
    nhs, cvs = f"{place} Community Health NHS Trust", f"{place} Council for Voluntary Service"
    apbs, wards_in = _apbs_and_wards(session)
    lsoas = boundary_sets.load_areas(session, "lsoa")
    a0, a1, a2, a3, a4 = (apbs[i % len(apbs)] for i in range(5))
    ward_a, ward_e, ward_g = wards_in[a0["code"]][0], wards_in[a1["code"]][0], wards_in[a2["code"]][-1]
    rural = wards_in[a3["code"]] * 4  # repeated so that a small APB still gives four wards
    ward_b, ward_c, ward_d, ward_f = rural[0], rural[1], rural[2], rural[3]
    food_lsoas = _lsoas_in(lsoas, session, ward_f)[:2]

    def day(months: int, on: int = 10) -> date:
        return add_months(today, months) + timedelta(days=on - 1)

    def ward(area):
        return [{"set": "wards", "code": area["code"]}]

    def apb(area):
        return [{"set": "apb", "code": area["code"]}]

    items = [
        (f"Budget consultation {day(-10).year}", council, "What the council should spend less and more on",
         [ECON], "survey", day(-10, 1), day(-9, 20), [], True),
        ("Health and wellbeing needs survey", nhs, "The services residents use and miss", [HEALTH], "survey",
         day(-4, 1), day(-2, 28), [], True),
        ("Neighbourhood policing priorities", police, "Which problems the neighbourhood teams tackle first",
         [SAFER], "online forum", day(1, 1), day(1, 28), [], False),
        (f"{ward_a['name']} play area improvements", council, "New equipment for the park play area", [CYP],
         "drop-in", day(-8, 14), None, ward(ward_a), True),
        (f"{ward_a['name']} parking and traffic", council, "Residents' parking and a 20 mph zone", [SUST],
         "public meeting", day(-3, 6), None, ward(ward_a), True),
        (f"{ward_a['name']} street safety walkabout", police, "Lighting and anti-social behaviour hot spots",
         [SAFER], "door-knocking", day(-1, 12), day(-1, 13), ward(ward_a), False),
        (f"{a0['name']} community groups forum", cvs, "What small groups need to keep going", [SAFER, ECON],
         "workshop", day(-6, 18), None, apb(a0), True),
        (f"{a0['name']} GP access focus group", nhs, "Getting an appointment at the local surgeries", [HEALTH],
         "focus group", day(-5, 9), None, apb(a0), True),
        (f"Young people's voice: {ward_b['name']}", cvs, "What young people want from their area", [CYP],
         "focus group", day(-7, 22), None, ward(ward_b), True),
        (f"{ward_c['name']} and {ward_d['name']} regeneration plan", council, "The plan for the old depot sites",
         [ECON, SUST], "citizens' panel", day(-9, 3), day(-6, 30), ward(ward_c) + ward(ward_d), True),
        (f"{ward_e['name']} anti-social behaviour drop-in", police, "Meet the neighbourhood team", [SAFER],
         "drop-in", day(-2, 15), None, ward(ward_e), False),
        (f"Older people's services in {a1['name']}", nhs, "Day centres, falls prevention and transport",
         [HEALTH], "workshop", day(-4, 24), None, apb(a1), True),
        ("Food poverty listening exercise", cvs, "Who uses the food banks and why", [HEALTH, ECON],
         "door-knocking", day(-3, 1), day(-2, 14), [{"set": "lsoa", "code": c} for c in food_lsoas], True),
        (f"{ward_g['name']} library opening hours", council, "When the library should open", [CYP, ECON],
         "survey", day(0, 1), day(1, 15), ward(ward_g), False),
        (f"Local plan: sites in {a2['name']}", council, "Where new homes could go", [SUST], "public meeting",
         day(2, 5), None, apb(a2), False),
    ]
    have = set(session.execute(select(Consultation.title, Consultation.organiser)).all())
    added = 0
    for title, organiser, topic, themes, method, starts, ends, areas, results in items:
        if (title, organiser) in have:
            continue
        groups = _groups_reached(session, areas, themes)
        values = clean(session, {
            "title": title, "organiser": organiser, "topic": topic, "themes": themes, "method": method,
            "starts_on": starts, "ends_on": ends, "areas": areas, "group_ids": groups,
            "results_url": f"{RESULTS}{added + 1}" if results and (ends or starts) < today else None,
            "description": "Fictional activity in the demo borough, made up to show the consultation map."})
        session.add(Consultation(**values))
        added += 1
    session.flush()
    if added:
        audit.record(session, actor=actor, action="import", entity_type="consultation", entity_id="demo",
                     after={"consultations": added})
    return added


def _apbs_and_wards(session: Session) -> tuple[list[dict], dict[str, list[dict]]]:
    """The APBs by code, and each APB's wards by code (from the stored containment links)."""
    apbs = boundary_sets.load_areas(session, "apb")
    wards = boundary_sets.load_areas(session, "wards")
    holders = boundary_sets.containers(session, [int(i) for i in wards["id"]])
    wards_in: dict[str, list[dict]] = {code: [] for code in apbs["code"]}
    for area_id, code, name in zip(wards["id"], wards["code"], wards["name"]):
        apb = next((c["code"] for c in holders[int(area_id)] if c["set"] == "apb" and c["share"] > 0.5), None)
        if apb in wards_in:
            wards_in[apb].append({"code": code, "name": name})
    found = [{"code": c, "name": n} for c, n in zip(apbs["code"], apbs["name"]) if wards_in[c]]
    return found, wards_in


def _lsoas_in(lsoas, session: Session, ward: dict) -> list[str]:
    """Codes of the LSOAs lying in a ward."""
    shape = boundary_sets.get_area(session, "wards", ward["code"]).geometry
    inside = lsoas[lsoas.geometry.representative_point().within(shape)]
    return sorted(inside["code"])


def _groups_reached(session: Session, areas: list[dict], themes: list[str], limit: int = 4) -> list[int]:
    """A few published groups based in the activity's areas and sharing one of its themes."""
    if not areas:
        return []
    groups, _ = published_groups(session)
    shapes = [boundary_sets.get_area(session, a["set"], a["code"]).geometry for a in areas]
    chosen = [int(g.id) for g in groups.itertuples()
              if any(s.contains(g.geometry) for s in shapes) and set(g.themes or []) & set(themes)]
    return chosen[:limit]
