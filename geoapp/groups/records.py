"""A community group's record checked and cleaned, however it arrives: the public form, an import row,
an editor's change. One function, :func:`clean_record`, says every problem at once."""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from urllib.parse import urlsplit

from layers.groups import CONTACT_FIELDS, GROUP_TYPES, INCOME_BANDS, SCOPES, SERVES, STATUSES, THEMES, VISIBILITIES

from ..errors import InvalidInput
from ..storage.postcodes import normalise as normalise_postcode

#: Longest text per field (the columns' lengths, or a sane limit for free text).
LENGTHS = {"name": 300, "description": 5000, "address": 500, "website": 500, "contact_name": 200,
           "email": 254, "phone": 40}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9 +()\-]{6,40}")
_CHARITY = re.compile(r"[0-9]{6,8}(-[0-9]{1,2})?|SC[0-9]{6}")
_LIST_SPLIT = re.compile(r"\s*[;|]\s*")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_DAY_MONTH_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4}|\d{2})")
_MONTH_DAY_DATE = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}


class RecordInvalid(InvalidInput):
    """A record with problems in named fields; ``fields`` maps each field to what is wrong."""

    def __init__(self, fields: dict[str, str], where: str = "The group"):
        super().__init__(f"{where} has problems: nothing was saved.",
                         details=[f"{field}: {message}" for field, message in fields.items()])
        self.fields = fields


def clean_text(value, limit: int) -> str | None:
    """Text with control characters removed and spaces collapsed; None when blank. Too long raises ValueError."""
    if value is None:
        return None
    text = "".join(c for c in unicodedata.normalize("NFC", str(value))
                   if c in "\n\t" or unicodedata.category(c)[0] != "C")
    text = re.sub(r"[ \t]+", " ", text).strip()
    if len(text) > limit:
        raise ValueError(f"is {len(text)} characters long; the most is {limit}")
    return text or None


def clean_record(fields: dict, *, where: str = "The group", today: date | None = None) -> dict:
    """Check a group's fields and return them ready to store (CommunityGroup column names).

    Accepts lists or ';'-separated text for ``themes`` and ``serves``, names in any case; contact fields as
    ``email`` (with ``email_visibility``) or ``contact: {"email": {"value", "visibility"}}``; the date the
    details were last checked as :func:`checked_date` reads it (not after ``today``). Raises
    :class:`RecordInvalid` naming every problem.

    >>> clean_record({"name": " Oak Lunch Club ", "group_type": "Community group",
    ...               "themes": "children & young people", "postcode": "ch1 1ab"})["postcode"]
    'CH1 1AB'
    """
    problems: dict[str, str] = {}
    out: dict = {}

    def text(field: str, required: bool = False):
        try:
            value = clean_text(fields.get(field), LENGTHS[field])
        except ValueError as error:
            problems[field] = str(error)
            return None
        if required and not value:
            problems[field] = "is needed"
        return value

    out["name"] = text("name", required=True)
    out["description"] = text("description")
    out["address"] = text("address")
    out["group_type"] = _choice(fields.get("group_type"), GROUP_TYPES, "group_type", problems, required=True)
    out["themes"] = _choices(fields.get("themes"), THEMES, "themes", problems)
    out["serves"] = _choices(fields.get("serves"), SERVES, "serves", problems) or ["everyone"]
    website = text("website")
    if website:
        if re.match(r"^[a-z][a-z0-9+.-]*:", website, re.I) and not re.match(r"^https?://", website, re.I):
            problems["website"] = "must be a web address starting http:// or https://"
        elif not re.match(r"^https?://", website, re.I):
            website = "https://" + website
        parts = urlsplit(website)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in website:
            problems["website"] = "must be a web address starting http:// or https://"
    out["website"] = website
    postcode = clean_text(fields.get("postcode"), 20)
    out["postcode"] = normalise_postcode(postcode) if postcode else None
    if postcode and out["postcode"] is None:
        problems["postcode"] = f"'{postcode}' is not a UK postcode"
    charity = clean_text(fields.get("charity_number"), 20)
    if charity and not _CHARITY.fullmatch(charity.replace(" ", "").upper()):
        problems["charity_number"] = f"'{charity}' is not a charity number (6 to 8 digits)"
    out["charity_number"] = charity.replace(" ", "").upper() if charity else None
    out["size"] = _size(fields, problems)
    out["contact"] = _contact(fields, problems)
    # a group that does not say where it works is counted where it is based, not as borough-wide
    scope = fields.get("serves_scope") or ("areas" if fields.get("served_area_codes") else None)
    out["serves_scope"] = _choice(scope, SCOPES, "serves_scope", problems)
    out["served_area_codes"] = list(fields.get("served_area_codes") or []) or None
    if "status" in fields:
        out["status"] = _choice(fields.get("status"), STATUSES, "status", problems)
    verified = fields.get("last_verified")
    if verified:
        try:
            out["last_verified"] = checked_date(verified, today=today)
        except ValueError as error:
            problems["last_verified"] = str(error)
    if problems:
        raise RecordInvalid(problems, where)
    return out


def checked_date(value, *, today: date | None = None) -> date:
    """A date as lists write it: 2025-06-03 (a time after it is ignored), 3/6/2025, 03.06.25, 3 June 2025,
    3rd Jun 2025 or June 3, 2025 (numbers day first, as in the UK). Raises ValueError saying how to write it,
    or that it is after ``today``.

    >>> checked_date("3/6/2025"), checked_date("3rd Sept 2024"), checked_date("2024-03-01 10:30:00")
    (datetime.date(2025, 6, 3), datetime.date(2024, 9, 3), datetime.date(2024, 3, 1))
    """
    today = today or date.today()
    if isinstance(value, date):
        found = value
    else:
        text = " ".join(str(value).split())
        found = _read_date(text, today)
        if found is None:
            raise ValueError(f"'{text[:40]}' is not a date: write it as 2025-06-03, 3/6/2025 or 3 June 2025")
    if found > today:
        raise ValueError(f"{found.day} {found:%B %Y} is after today: check the date")
    return found


def _read_date(text: str, today: date) -> date | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text):
        parts = (text[:4], text[5:7], text[8:10])
    elif found := _NUMERIC_DATE.fullmatch(text):
        parts = found.group(3), found.group(2), found.group(1)
    elif found := _DAY_MONTH_DATE.fullmatch(text):
        parts = found.group(3), _MONTHS.get(found.group(2).lower()), found.group(1)
    elif found := _MONTH_DAY_DATE.fullmatch(text):
        parts = found.group(3), _MONTHS.get(found.group(1).lower()), found.group(2)
    else:
        return None
    year, month, day = parts
    if month is None:
        return None
    year = int(year)
    if year < 100:  # two digits: this century unless that is in the future
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _choice(value, options, field, problems, required=False):
    text = " ".join(str(value or "").split()).lower()
    if not text:
        if required:
            problems[field] = f"is needed: one of {', '.join(options)}"
        return None
    found = next((o for o in options if o.lower() == text or o.lower().replace("&", "and") == text), None)
    if found is None:
        problems[field] = f"'{str(value)[:60]}' is not one of {', '.join(options)}"
    return found


def _choices(value, options, field, problems) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else _LIST_SPLIT.split(str(value or ""))
    found, unknown = [], []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        match = _choice(item, options, field, {})
        (found if match else unknown).append(match or item[:60])
    if unknown:
        problems[field] = f"{', '.join(repr(u) for u in unknown)} not known; choose from {', '.join(options)}"
    return list(dict.fromkeys(found))


def _size(fields, problems) -> dict | None:
    size = dict(fields.get("size") or {})
    for key in ("volunteers", "paid_staff", "income_band"):
        if fields.get(key) not in (None, ""):
            size[key] = fields[key]
    out = {}
    for key in ("volunteers", "paid_staff"):
        value = size.get(key)
        if value in (None, ""):
            continue
        try:
            number = int(str(value).strip())
            if number < 0:
                raise ValueError
            out[key] = number
        except ValueError:
            problems[key] = f"'{str(value)[:20]}' is not a whole number of people"
    if size.get("income_band"):
        band = _choice(size["income_band"], INCOME_BANDS, "income_band", problems)
        if band is None:  # also accept the class word alone: "micro", "small" ...
            word = str(size["income_band"]).strip().lower()
            band = next((b for b in INCOME_BANDS if b.split(":")[0] == word), None)
            if band:
                problems.pop("income_band", None)
        if band:
            out["income_band"] = band
    return out or None


def _contact(fields, problems) -> dict | None:
    given = dict(fields.get("contact") or {})
    out = {}
    for key in CONTACT_FIELDS:
        entry = given.get(key)
        value = entry.get("value") if isinstance(entry, dict) else entry
        visibility = entry.get("visibility") if isinstance(entry, dict) else None
        value = fields.get(key, value)
        visibility = fields.get(f"{key}_visibility", visibility) or "partners"
        try:
            value = clean_text(value, LENGTHS[key])
        except ValueError as error:
            problems[key] = str(error)
            continue
        if not value:
            continue
        if key == "email" and not _EMAIL.fullmatch(value):
            problems[key] = f"'{value[:60]}' is not an e-mail address"
        if key == "phone" and not _PHONE.fullmatch(value):
            problems[key] = f"'{value[:40]}' is not a phone number"
        if visibility not in VISIBILITIES:
            problems[f"{key}_visibility"] = "must be public or partners"
        out[key] = {"value": value, "visibility": visibility}
    return out or None


def visible_contact(contact: dict | None, *, partner: bool) -> dict:
    """The contact fields a reader may see: public ones for everyone, all for signed-in partners."""
    return {k: v["value"] for k, v in (contact or {}).items()
            if isinstance(v, dict) and (partner or v.get("visibility") == "public")}
