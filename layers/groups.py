"""The words a community group's record is described in: types, partnership themes, who it serves, size bands,
contact fields and their visibility.

Plain data and one pure function (no Flask, no storage): the store, the importer, the forms and the counts by
area all use these words.
"""
from __future__ import annotations

GROUP_TYPES = ("voluntary group", "community group", "faith group", "charity", "social enterprise",
               "tenants' and residents' association", "town or parish council", "statutory service")
#: The Local Strategic Partnership's themes (the Local Area Agreement blocks).
THEMES = ("Children & Young People", "Safer & Stronger Communities", "Healthier Communities & Older People",
          "Economic Development & Enterprise", "Sustainable Communities & Transport")
SERVES = ("everyone", "children and young people", "older people", "disabled people", "BME communities",
          "carers", "people on low incomes", "residents", "women", "men", "LGBT+ people",
          "refugees and asylum seekers", "veterans")
#: Annual income bands (NCVO's): the first word is the size class.
INCOME_BANDS = ("micro: under £10,000", "small: £10,000 to £100,000", "medium: £100,000 to £1 million",
                "large: £1 million to £10 million", "major: over £10 million")
#: Size classes, smallest first; "micro" and "small" are the small groups.
SIZES = ("micro", "small", "medium", "large", "major")
SMALL = ("micro", "small")
STATUSES = ("pending", "published", "rejected", "archived", "merged")
SCOPES = ("borough", "areas", "drawn")
#: Contact fields, each shown to the public or to signed-in partners only.
CONTACT_FIELDS = ("contact_name", "email", "phone")
VISIBILITIES = ("public", "partners")


def size_class(size: dict | None) -> str | None:
    """A group's size class, from its income band or else its paid staff and volunteers.

    Parameters
    ----------
    size : dict or None
        A size record: ``income_band`` (one of :data:`INCOME_BANDS`), ``paid_staff`` and ``volunteers``
        (whole numbers), any of them missing.

    Returns
    -------
    str or None
        One of :data:`SIZES`: the income band's first word when the band is known; else ``"micro"`` for
        a group with no paid staff and under 10 volunteers, ``"small"`` with under 5 paid staff; None
        when nothing tells.

    Examples
    --------
    >>> size_class({"income_band": INCOME_BANDS[2]})
    'medium'
    >>> size_class({"paid_staff": 0, "volunteers": 6}), size_class({"paid_staff": 3})
    ('micro', 'small')
    >>> size_class(None) is None
    True
    """
    size = size or {}
    band = size.get("income_band")
    if band in INCOME_BANDS:
        return band.split(":")[0]
    staff, volunteers = size.get("paid_staff"), size.get("volunteers")
    if staff == 0 and volunteers is not None and volunteers < 10:
        return "micro"
    if staff is not None and staff < 5:
        return "small"
    return None
