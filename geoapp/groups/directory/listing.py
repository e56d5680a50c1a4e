"""The directory of published community groups: filters, text search, "near a postcode", and the fields a
reader may see.

Everyone sees a group's public fields. Contact details (name, e-mail, phone) each carry a visibility:
"public" ones are shown to everyone, "partners" ones only to signed-in partners (any role holding
``export_tables``: board members and up). Records that are pending, rejected, merged or archived never
appear, nor do who sent a record and the moderators' notes. Size is shown as its class word.

Distances are measured in British National Grid metres (EPSG:27700), the storage CRS.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from boundaries.crs import STORAGE_CRS
from layers.groups import CONTACT_FIELDS, GROUP_TYPES, INCOME_BANDS, SERVES, SIZES, SMALL, THEMES
from layers.text import strip_accents

from ...auth.roles import can
from ...caches import LRUCache
from ...errors import InvalidInput
from ...storage import boundary_sets, postcodes
from ...storage import groups as stored
from ..records import visible_contact

#: The fields each record has, in order; ``distance_km`` follows when searching near a place.
FIELDS = stored.PUBLIC_FIELDS
#: Size choices besides the class words: the small groups together, and groups whose size is not known.
SMALL_GROUPS, SIZE_UNKNOWN = "small-groups", "unknown"
SIZE_CHOICES = (SMALL_GROUPS, *SIZES, SIZE_UNKNOWN)
RADII_KM = (1, 2, 5, 10, 25)
DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 100.0
MAX_TEXT = 200
#: Coordinates are given to 6 decimal places (about 10 cm), distances to 10 metres.
DECIMALS = 6
#: The published groups last read, by store and groups version (one entry: the store a process serves).
_PUBLISHED = LRUCache("published groups for the directory", 1)


@dataclass(frozen=True)
class Near:
    """The place a search is centred on, in EPSG:27700, and the radius."""

    label: str
    easting: float
    northing: float
    radius_km: float

    def lon_lat(self) -> tuple[float, float]:
        """The centre in CRS84, to 6 decimal places."""
        lon, lat = _transformer(STORAGE_CRS, "OGC:CRS84").transform(self.easting, self.northing)
        return round(float(lon), DECIMALS), round(float(lat), DECIMALS)


@dataclass(frozen=True)
class Filters:
    """What a reader asked for. Within themes, types or serves any ticked value matches; filters combine."""

    themes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    serves: tuple[str, ...] = ()
    size: str = ""
    text: str = ""
    postcode: str = ""
    radius_km: float = DEFAULT_RADIUS_KM
    lon: float | None = None
    lat: float | None = None
    area: str = ""  # "set:code": groups based in that area

    @property
    def near_asked(self) -> bool:
        return bool(self.postcode) or self.lon is not None

    @property
    def active(self) -> bool:
        return bool(self.themes or self.types or self.serves or self.size or self.text or self.near_asked
                    or self.area)

    def query_args(self) -> dict:
        """The filters as query arguments (lists for the repeated ones), for links to the same view."""
        args = {"theme": list(self.themes), "type": list(self.types), "serves": list(self.serves),
                "size": self.size, "q": self.text, "postcode": self.postcode, "area": self.area}
        if self.near_asked:
            args["radius"] = f"{self.radius_km:g}"
        if self.lon is not None and not self.postcode:
            args |= {"lon": f"{self.lon:.6f}", "lat": f"{self.lat:.6f}"}
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class Options:
    """What the filters offer: the vocabulary first, then any other value published groups use."""

    themes: tuple[str, ...]
    types: tuple[str, ...]
    serves: tuple[str, ...]
    sizes: tuple[str, ...] = SIZE_CHOICES
    radii: tuple[int, ...] = RADII_KM


@dataclass
class Directory:
    """The groups a reader asked for, as they may see them, in the order to show them."""

    filters: Filters
    near: Near | None
    records: list[dict]
    points: list[tuple[float, float] | None] = field(repr=False)  # (lon, lat) in CRS84, or None
    area_name: str | None = None  # the area the groups are based in, when asked

    def __len__(self) -> int:
        return len(self.records)

    @property
    def fields(self) -> tuple[str, ...]:
        return (*FIELDS, "distance_km") if self.near else FIELDS

    @property
    def sources(self) -> list[str]:
        """The distinct sources of the records, each with its licence line when it has one, for attribution."""
        return list(dict.fromkeys(f"{r['source']} ({r['licence'].rstrip('.')})" if r.get("licence") else r["source"]
                                  for r in self.records if r["source"]))

    def geojson(self) -> dict:
        """A GeoJSON FeatureCollection in CRS84; a group with no point has a null geometry."""
        features = [{"type": "Feature", "id": record["id"],
                     "geometry": None if xy is None else {"type": "Point", "coordinates": list(xy)},
                     "properties": {name: record.get(name) for name in self.fields}}
                    for record, xy in zip(self.records, self.points)]
        body = {"type": "FeatureCollection", "numberMatched": len(features), "features": features}
        if self.near:
            body["near"] = {"place": self.near.label, "radius_km": self.near.radius_km}
        return body | {"attribution": self.sources}


def is_partner(role: str) -> bool:
    """True for a role that sees every contact field (a signed-in partner: a role that may export tables)."""
    return can(role, "export_tables")


def published(session, *, located: bool = False) -> gpd.GeoDataFrame:
    """Every published group as :func:`geoapp.storage.groups.published_records` gives it, read once until any
    group changes (one small query per call to tell). Do not change the frame returned: it is shared."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), *stored.groups_version(session))
    frame = _PUBLISHED.get_or_build(key, lambda: _read_published(session))
    if located:
        return frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return frame


def _read_published(session) -> gpd.GeoDataFrame:
    frame = stored.published_records(session)
    frame["search_text"] = [strip_accents(" ".join(v for v in values if isinstance(v, str))) for values in
                            zip(frame["name"], frame["description"], frame["address"], frame["postcode"])]
    return frame


def options(session) -> Options:
    """The filter choices: each vocabulary, then other values published groups use, A to Z."""
    frame = published(session)

    def offered(vocabulary: Iterable[str], used: Iterable[str]) -> tuple[str, ...]:
        known = {v.casefold() for v in vocabulary}
        extra = sorted({u for u in used if u and u.casefold() not in known}, key=str.casefold)
        return (*vocabulary, *extra)

    return Options(themes=offered(THEMES, (t for ts in frame["themes"] for t in ts)),
                   types=offered(GROUP_TYPES, frame["group_type"].dropna()),
                   serves=offered(SERVES, (s for ss in frame["serves"] for s in ss)))


def parse_filters(args: Mapping, offered: Options) -> Filters:
    """Filters from query arguments (theme, type, serves repeated; size, q, postcode, radius, lon, lat).

    Raises InvalidInput naming every argument that is wrong.
    """
    problems: list[str] = []

    def many(name: str, choices: tuple[str, ...], words: str) -> tuple[str, ...]:
        given = args.getlist(name) if hasattr(args, "getlist") else list(args.get(name) or [])
        by_key = {c.casefold(): c for c in choices}
        found, unknown = [], []
        for value in (" ".join(str(v).split()) for v in given):
            if value:
                (found if value.casefold() in by_key else unknown).append(by_key.get(value.casefold(), value))
        if unknown:
            problems.append(f"{name}: {', '.join(repr(u[:60]) for u in unknown)} is not a {words} in the "
                            f"directory; choose from {', '.join(choices)}")
        return tuple(dict.fromkeys(found))

    themes = many("theme", offered.themes, "theme")
    types = many("type", offered.types, "type of group")
    serves = many("serves", offered.serves, "group of people served")
    size = str(args.get("size") or "").strip().lower()
    if size and size not in SIZE_CHOICES:
        problems.append(f"size: '{size[:30]}' is not one of {', '.join(SIZE_CHOICES)}")
    text = " ".join(str(args.get("q") or "").split())
    if len(text) > MAX_TEXT:
        problems.append(f"q: the search text is {len(text)} characters long; the most is {MAX_TEXT}")
    postcode = " ".join(str(args.get("postcode") or "").split()).upper()[:20]
    radius = _number(args, "radius", problems)
    if radius is None:
        radius = DEFAULT_RADIUS_KM
    elif not 0 < radius <= MAX_RADIUS_KM:
        problems.append(f"radius: {radius:g} km is not between 0 and {MAX_RADIUS_KM:g} km")
    lon, lat = _number(args, "lon", problems), _number(args, "lat", problems)
    if (lon is None) != (lat is None):
        problems.append("lon and lat: give both, or neither")
    elif lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(f"lon and lat: ({lon:g}, {lat:g}) is not a longitude and latitude in degrees")
    area = str(args.get("area") or "").strip()[:140]
    if area and (area.count(":") != 1 or not all(area.split(":"))):
        problems.append(f"area: '{area[:60]}' is not a boundary set and area code such as wards:E05012211")
    if problems:
        raise InvalidInput("Some of the search choices are not right, so nothing was searched.", details=problems)
    if size not in SIZE_CHOICES:
        size = ""
    return Filters(themes=themes, types=types, serves=serves, size=size, text=text, postcode=postcode,
                   radius_km=radius, lon=lon if lat is not None else None, lat=lat if lon is not None else None,
                   area=area)


def _number(args: Mapping, name: str, problems: list[str]) -> float | None:
    text = str(args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problems.append(f"{name}: '{text[:20]}' is not a number")
        return None
    return value


def locate(session, filters: Filters) -> Near | None:
    """Where a "near" search is centred, from the postcode (preferred) or lon/lat; None when not asked.

    Raises InvalidInput with a message for the reader when the postcode is not a postcode, is not in the
    postcode list loaded, or has no map position.
    """
    if filters.postcode:
        found = postcodes.lookup(session, [filters.postcode]).iloc[0]
        given = filters.postcode
        if found["status"] == "found":
            return Near(found["postcode"], float(found["easting"]), float(found["northing"]), filters.radius_km)
        if found["status"] == "not a postcode":
            message = f"'{given}' is not a UK postcode. Enter a full postcode, such as CH1 1AB."
        elif found["status"] == "no coordinates":
            message = (f"The postcode {found['postcode']} has no map position in the postcode list (it may be a "
                       "PO box or a business postcode). Try a nearby postcode.")
        elif postcodes.count(session) == 0:
            message = ("No postcode list is loaded yet, so groups near a postcode cannot be found. An officer "
                       "can load one with the command geoapp import-postcodes.")
        else:
            message = (f"The postcode {found['postcode']} is not in the postcode list the Atlas holds. Check it, "
                       "or try a nearby postcode.")
        raise InvalidInput(message, details=[f"postcode: {message}"])
    if filters.lon is not None:
        easting, northing = _transformer("OGC:CRS84", STORAGE_CRS).transform(filters.lon, filters.lat)
        if not (math.isfinite(easting) and -1e5 <= easting <= 8e5 and -1e5 <= northing <= 1.4e6):
            message = "That place is outside Great Britain, so there are no groups near it in the Atlas."
            raise InvalidInput(message, details=[f"lon and lat: {message}"])
        return Near("your location", float(easting), float(northing), filters.radius_km)
    return None


def search(session, filters: Filters, *, partner: bool) -> Directory:
    """The published groups matching every filter, as the reader may see them.

    Sorted by name, or by distance (then name) when near a place; within a radius, groups without a
    point are left out.
    """
    near = locate(session, filters)
    frame = published(session)
    keep = np.ones(len(frame), dtype=bool)
    if filters.types:
        keep &= frame["group_type"].isin(filters.types).to_numpy()
    if filters.themes:
        keep &= _any_of(frame["themes"], filters.themes)
    if filters.serves:
        keep &= _any_of(frame["serves"], filters.serves)
    sizes = [stored.size_word(s) for s in frame["size"]]
    if filters.size:
        wanted = {SMALL_GROUPS: set(SMALL), SIZE_UNKNOWN: {None}}.get(filters.size, {filters.size})
        keep &= np.array([s in wanted for s in sizes], dtype=bool)
    if filters.text:
        keep &= _matches_text(frame, filters.text)
    area_name = None
    if filters.area:
        shape, area_name = _area(session, filters.area)
        keep &= np.asarray(shapely.covers(shape, np.asarray(frame.geometry.values)), dtype=bool)
    frame = frame.assign(size=sizes)[keep]
    distance = None
    if near is not None:
        located = frame.geometry.notna() & ~frame.geometry.is_empty
        frame = frame[located]
        metres = shapely.distance(np.asarray(frame.geometry.values), shapely.Point(near.easting, near.northing))
        within = metres <= near.radius_km * 1000
        frame, distance = frame[within], np.round(metres[within] / 1000, 2)
        order = np.lexsort(([n.casefold() for n in frame["name"]], distance))
    else:
        order = np.lexsort((frame["id"].to_numpy(), [n.casefold() for n in frame["name"]]))
    frame = frame.iloc[order]
    records = _records(frame, partner)
    if distance is not None:
        for record, km in zip(records, distance[order]):
            record["distance_km"] = float(km)
    return Directory(filters, near, records, _lon_lat(frame), area_name)


def _area(session, area: str):
    """The polygon and name of "set:code" (EPSG:27700); InvalidInput when there is no such area."""
    set_id, code = area.split(":")
    found = boundary_sets.load_areas(session, set_id, codes=[code])
    if found.empty:
        message = f"There is no area {code} in the boundary set '{set_id}'."
        raise InvalidInput(message, details=[f"area: {message}"])
    return found.geometry.iloc[0], str(found["name"].iloc[0])


def visible(frame: gpd.GeoDataFrame, *, partner: bool) -> list[dict]:
    """Records from :func:`geoapp.storage.groups.published_records` with only the fields a reader may see."""
    return _records(frame.assign(size=[stored.size_word(s) for s in frame["size"]]), partner)


def size_label(word: str | None) -> str:
    """The size class in words, e.g. 'micro (income under £10,000)'; 'not known' when None."""
    band = next((b for b in INCOME_BANDS if b.split(":")[0] == word), None)
    return f"{word} (income {band.split(': ', 1)[1]})" if band else "not known"


def checked_label(value: str | None) -> str:
    """When a group's details were last checked, as people write it ('3 June 2025'); 'not stated' when the
    source gave no date and no editor has approved the group.

    >>> checked_label("2025-06-03"), checked_label(None)
    ('3 June 2025', 'not stated')
    """
    if not value:
        return "not stated"
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def page_of(directory: Directory, page: int, size: int) -> tuple[list[dict], int, int]:
    """The records on one page of ``size`` (1-based), that page number (clamped) and the number of pages."""
    pages = max(1, math.ceil(len(directory) / size))
    page = min(max(page, 1), pages)
    return directory.records[(page - 1) * size: page * size], page, pages


def _records(frame: gpd.GeoDataFrame, partner: bool) -> list[dict]:
    columns = {name: _plain_column(frame[name]) for name in FIELDS if name not in CONTACT_FIELDS}
    contacts = [visible_contact(c if isinstance(c, dict) else None, partner=partner) for c in frame["contact"]]
    return [{name: contact.get(name) if name in CONTACT_FIELDS else columns[name][i] for name in FIELDS}
            for i, contact in enumerate(contacts)]


def _plain_column(column: pd.Series) -> list:
    """A column as plain JSON-ready values: None for missing, ISO text for dates."""
    values = column.astype(object).tolist()
    return [None if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v))
            else v.isoformat() if hasattr(v, "isoformat") else v.item() if isinstance(v, np.generic) else v
            for v in values]


def _any_of(column: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    keys = {w.casefold() for w in wanted}
    return np.array([any(str(v).casefold() in keys for v in values) for values in column], dtype=bool)


def _matches_text(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Every word of ``text`` is in the name, description, address or postcode (any case, any accents)."""
    words = [strip_accents(w) for w in text.split()]
    return np.array([all(w in hay for w in words) for hay in frame["search_text"]], dtype=bool)


def _lon_lat(frame: gpd.GeoDataFrame) -> list[tuple[float, float] | None]:
    located = (frame.geometry.notna() & ~frame.geometry.is_empty).to_numpy()
    points: list = [None] * len(frame)
    if located.any():
        xy = shapely.get_coordinates(np.asarray(frame.geometry.values[located]))
        lon, lat = _transformer(STORAGE_CRS, "OGC:CRS84").transform(xy[:, 0], xy[:, 1])
        for i, x, y in zip(np.flatnonzero(located), np.round(lon, DECIMALS), np.round(lat, DECIMALS)):
            points[i] = (float(x), float(y))
    return points


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)
