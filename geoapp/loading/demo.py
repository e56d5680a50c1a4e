"""A fictional demo borough: boundaries, area partnership boards, community groups and indicators.

Everything is generated from one seed with a numpy Generator, so the same seed gives the same
borough, geometry included, byte for byte. Geography is built bottom up so every layer nests
exactly where it should: LSOAs are a clean coverage (one noded polygonize, neighbours share
vertices), wards are unions of LSOAs, the borough is the union of wards. Parishes and police
neighbourhoods are drawn independently so that they do *not* nest, which keeps their alignment
and best-fit analysis interesting. Nothing here touches the app or the database.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from layers.groups import GROUP_TYPES, THEMES

__all__ = ["DemoBorough", "GROUP_TYPES", "THEMES", "generate_borough", "write_demo"]

CRS = "EPSG:27700"
BOROUGH = "Ashvale"
LAD_CODE = "X06000001"
CENTRE = (428_000.0, 252_000.0)  # inland, in the English Midlands; the place itself is invented
VINTAGE = "2024"
LICENCE = "Fictional; no licence needed"
CYP, SAFER, HEALTH, ECON, SUST = THEMES
TOWNS = ((3500.0, 42, 10), (2800.0, 28, 6), (2300.0, 20, 5))  # radius (m), LSOAs, wards
COMPASS = ("East", "North East", "North", "North West", "West", "South West", "South", "South East")

_PREFIXES = ("Ash", "Brook", "Kings", "Up", "Oak", "Elm", "Hazel", "Mill", "Church", "Stone", "Thorn",
             "Wil", "Bram", "Hart", "Fen", "Lang", "Whit", "Marl", "Cold", "Nor", "Sut", "Bur", "Hol",
             "Brad", "Stan", "Ald", "Rad", "Ken", "Lock", "Swin", "Dun", "Barn", "Cran", "Wood", "Lox",
             "Ship", "Ayle", "Red", "Shel", "Fair", "Wel", "Chal", "Ever", "Har", "Ting")
_SUFFIXES = ("ford", "ley", "ton", "field", "bury", "wick", "ham", "worth", "stead", "combe", "hurst",
             "by", "thorpe", "well", "brook", "den", "more", "cote", "wood", "mere", "stow", "don",
             "bridge", "marsh", "ington", "leigh")
_DISTRICTS = (" Park", " Green", " Hill", " Vale", " Heath", " Common", " Fields", " Meadows", " Cross",
              "", "", "")
_SAINTS = ("Mary", "John", "Peter", "Michael", "Andrew", "Paul", "James", "Margaret", "Luke", "Mark",
           "Anne", "George", "Nicholas", "Barnabas", "Chad", "Werburgh", "Oswald", "Lawrence")
# name template, group type, themes, who it serves, where ("town", "rural" or "any")
_TEMPLATES = (
    ("{place} Over-60s Lunch Club", "community group", (HEALTH,), "older people", "any"),
    ("St {saint}'s Church Food Bank", "faith group", (HEALTH, SAFER), "people on low incomes", "any"),
    ("{place} Youth Football", "voluntary group", (CYP, HEALTH), "children and young people", "any"),
    ("{place} Community Association", "community group", (SAFER, SUST), "everyone", "any"),
    ("Friends of {place} Park", "voluntary group", (SUST,), "everyone", "town"),
    ("{place} Tenants' and Residents' Association", "tenants' and residents' association", (SAFER,),
     "residents", "town"),
    ("{place} Methodist Church", "faith group", (SAFER,), "everyone", "any"),
    ("{place} Baptist Church Toddler Group", "faith group", (CYP,), "families with young children", "town"),
    ("{place} Islamic Centre", "faith group", (SAFER, CYP), "everyone", "town"),
    ("{place} Credit Union", "social enterprise", (ECON,), "people on low incomes", "town"),
    ("{place} Foodbank", "charity", (HEALTH, ECON), "people on low incomes", "town"),
    ("1st {place} Scouts", "voluntary group", (CYP,), "children and young people", "any"),
    ("{place} Carers' Support Group", "charity", (HEALTH,), "carers", "any"),
    ("{place} Men's Shed", "community group", (HEALTH,), "older people", "any"),
    ("{place} Dementia Café", "charity", (HEALTH,), "people living with dementia and their carers", "any"),
    ("{place} Community Transport", "charity", (SUST, HEALTH), "older and disabled people", "rural"),
    ("{place} Repair Café", "voluntary group", (SUST,), "everyone", "any"),
    ("{place} Business Network", "social enterprise", (ECON,), "local businesses", "town"),
    ("{place} Job Club", "community group", (ECON,), "job seekers", "town"),
    ("{place} Neighbourhood Watch", "voluntary group", (SAFER,), "residents", "any"),
    ("{place} Allotment Society", "voluntary group", (SUST, HEALTH), "everyone", "any"),
    ("{place} Good Neighbours Scheme", "voluntary group", (HEALTH, SAFER), "older people", "rural"),
    ("{place} Walking for Health", "voluntary group", (HEALTH,), "adults", "any"),
    ("{place} Parent and Toddler Group", "community group", (CYP,), "families with young children", "any"),
    ("{place} Library", "statutory service", (CYP, ECON), "everyone", "town"),
    ("{place} Children's Centre", "statutory service", (CYP,), "families with young children", "town"),
    ("{place} Village Hall Committee", "community group", (SUST, SAFER), "everyone", "rural"),
    ("{place} Youth Club", "voluntary group", (CYP, SAFER), "children and young people", "any"),
    ("{place} Women's Institute", "voluntary group", (SAFER, HEALTH), "women", "rural"),
    ("{place} Community Café", "social enterprise", (ECON, HEALTH), "everyone", "any"),
    ("{place} Advice Centre", "charity", (ECON,), "everyone", "town"),
    ("{place} Domestic Abuse Support", "charity", (SAFER,), "people affected by domestic abuse", "town"),
)
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in real inward codes


@dataclass
class DemoBorough:
    """A generated fictional borough; every GeoDataFrame is in EPSG:27700 (metres).

    Attributes
    ----------
    seed : int
        The seed it was generated from.
    lad, wards, lsoa, parishes, service : geopandas.GeoDataFrame
        Boundary sets with ``code`` and ``name`` columns; ``lsoa`` also has ``ward_code``.
    apb_wards : pandas.DataFrame
        ``ward_code, ward_name, apb_id, apb_name``: each ward in exactly one APB.
    groups : geopandas.GeoDataFrame
        Community, voluntary and faith groups as points: ``id, name, group_type`` (one of
        GROUP_TYPES), ``themes`` ("; "-separated THEMES), ``serves``, ``size`` ("small": volunteers
        only; "medium": some paid staff; "large"), ``postcode`` (fictional "AV1 2BC"), ``easting,
        northing`` (whole metres), ``lsoa_code, ward_code``.
    indicators : pandas.DataFrame
        One row per LSOA (``code``) with integer counts and an ``imd_score``.
    indicator_metadata : list of dict
        One dict per indicator: id, title, description, theme, type, numerator, denominator,
        polarity, unit, source, period, licence.
    """

    seed: int
    lad: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    parishes: gpd.GeoDataFrame
    service: gpd.GeoDataFrame
    apb_wards: pd.DataFrame
    groups: gpd.GeoDataFrame
    indicators: pd.DataFrame
    indicator_metadata: list[dict]


# ---------------------------------------------------------------- geometry helpers

def _outline(rng: np.random.Generator) -> shapely.Polygon:
    """A smooth, irregular star-shaped outline of 620-780 km², 26-34 km across, around CENTRE."""
    theta = np.linspace(0.0, 2 * math.pi, 720, endpoint=False)
    while True:
        radius = np.ones_like(theta)
        for k in range(2, 48):
            amplitude = (0.14 if k == 2 else 0.35 * k ** -1.5) * rng.uniform(0.3, 1.0)
            radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        unit = shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
        scale = math.sqrt(rng.uniform(620e6, 780e6) / unit.area)
        xy = np.round(np.column_stack([CENTRE[0] + scale * radius * np.cos(theta),
                                       CENTRE[1] + scale * radius * np.sin(theta)]), 2)
        if np.ptp(xy, axis=0).min() >= 26_000 and np.ptp(xy, axis=0).max() <= 34_000:
            return shapely.Polygon(xy)


def _make_warp(rng: np.random.Generator, n: int = 6, lipschitz: float = 0.68):
    """A smooth displacement field: a sum of plane waves of wavelength 1.5-10 km.

    Each displacement component has Lipschitz constant at most ``lipschitz`` (< 1/sqrt(2)), so the
    warp is a homeomorphism: it bends Voronoi edges into gentle curves without making two edges
    cross, and a point inside a cell stays inside the warped cell.
    """
    wavelength = np.exp(rng.uniform(math.log(1500), math.log(10_000), n))
    k = 2 * math.pi / wavelength
    direction = rng.uniform(0, 2 * math.pi, n)
    kx, ky = k * np.cos(direction), k * np.sin(direction)
    share = rng.uniform(0.5, 1.0, (2, n))
    amplitude = lipschitz * share / share.sum(axis=1, keepdims=True) / k
    phase = rng.uniform(0, 2 * math.pi, (2, n))

    def warp(xy: np.ndarray) -> np.ndarray:
        t = xy[:, :1] * kx + xy[:, 1:2] * ky
        return xy + np.column_stack([(amplitude[0] * np.sin(t + phase[0])).sum(axis=1),
                                     (amplitude[1] * np.sin(t + phase[1])).sum(axis=1)])
    return warp


def _best_candidates(rng, n, region, existing=(), valid=None, k=14) -> np.ndarray:
    """Mitchell's best-candidate sampling: ``n`` well-spread points inside ``region``."""
    x0, y0, x1, y1 = region.bounds
    shapely.prepare(region)
    points = [tuple(p) for p in existing]
    new = []
    while len(new) < n:
        cand = rng.uniform((x0, y0), (x1, y1), (k * 4, 2))
        ok = shapely.contains_xy(region, cand[:, 0], cand[:, 1])
        if valid is not None:
            ok &= valid(cand)
        cand = cand[ok][:k]
        if len(cand) == 0:
            continue
        if points:
            d = np.sqrt(((cand[:, None, :] - np.asarray(points)[None]) ** 2).sum(-1)).min(axis=1)
            cand = cand[[int(np.argmax(d))]]
        points.append(tuple(cand[0]))
        new.append(cand[0])
    return np.asarray(new)


def _wiggle(rng, edges, amount: float = 0.03):
    """Bend each straight edge by a random sine series that vanishes at both ends."""
    out = []
    for line in shapely.get_parts(edges):
        p, q = np.asarray(line.coords)[[0, -1]]
        length = float(np.hypot(*(q - p)))
        t = np.linspace(0.0, 1.0, int(np.clip(length / 80.0, 4, 40)) + 1)
        m = np.arange(1, 6)
        offset = length * (rng.normal(0, amount / m) * np.sin(np.pi * np.outer(t, m))).sum(axis=1)
        normal = np.array([p[1] - q[1], q[0] - p[0]]) / length
        xy = p + np.outer(t, q - p) + np.outer(offset, normal)
        xy[[0, -1]] = p, q
        out.append(shapely.LineString(xy))
    return shapely.MultiLineString(out)


def _tessellate(rng, seeds: np.ndarray, region, warp, box, keep_all: bool = True) -> list:
    """Wiggly, warped Voronoi cells of ``seeds`` cut by ``region``: one polygon per seed, a clean coverage.

    All linework (warped cell edges and the region's boundary) is noded once and polygonized, so
    neighbours share their vertices exactly. A cell cut into several pieces by a concave region keeps
    the piece holding its (warped) seed; each other piece joins the neighbour it shares most edge with.
    Pieces of the region that no seeded cell reaches (islands) raise, or are dropped if not ``keep_all``.
    """
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    edges = shapely.intersection(shapely.union_all(shapely.boundary(cells)), region.buffer(2000.0))
    edges = shapely.transform(shapely.segmentize(_wiggle(rng, edges), 100.0), warp)
    lines = shapely.union_all([edges, shapely.boundary(region)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains(region, shapely.point_on_surface(faces))]
    tree = shapely.STRtree(faces)
    seed_idx, face_idx = tree.query(shapely.points(warp(seeds)), predicate="within")
    if len(set(face_idx.tolist())) != len(seeds) or len(seed_idx) != len(seeds):
        raise RuntimeError("a seed fell outside its region or shares a face; use another seed")
    owner = np.full(len(faces), -1)
    owner[face_idx] = seed_idx
    rings = shapely.boundary(faces)
    while (owner < 0).any():
        progress = False
        for f in np.flatnonzero(owner < 0):
            nbrs = tree.query(faces[f], predicate="intersects")
            nbrs = nbrs[(owner[nbrs] >= 0)]
            if len(nbrs):
                shared = shapely.length(shapely.intersection(rings[f], rings[nbrs]))
                if shared.max() > 0:
                    owner[f] = owner[nbrs[int(np.argmax(shared))]]
                    progress = True
        if not progress:
            if keep_all:
                raise RuntimeError("could not attach detached pieces of a cell")
            break
    result = []
    for i in range(len(seeds)):
        parts = faces[owner == i]
        result.append(parts[0] if len(parts) == 1 else shapely.union_all(parts))
    return result


def _rook_graph(geoms) -> nx.Graph:
    """Areas as nodes 0..n-1; an edge where two areas share a boundary of positive length."""
    geoms = np.asarray(geoms, dtype=object)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    rings = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(rings[left], rings[right]))
    centres = shapely.get_coordinates(shapely.centroid(geoms))
    for a, b, s in zip(left.tolist(), right.tolist(), shared.tolist()):
        if s > 0:
            graph.add_edge(a, b, weight=float(np.hypot(*(centres[a] - centres[b]))), shared=s)
    return graph


def _graph_regions(graph: nx.Graph, sources: list[int]) -> dict[int, int]:
    """Node -> index of the nearest source along the graph; each region is connected."""
    _, paths = nx.multi_source_dijkstra(graph, sources, weight="weight")
    index = {s: i for i, s in enumerate(sources)}
    return {node: index[path[0]] for node, path in paths.items()}


def _kmeans_sources(rng, xy: np.ndarray, candidates: np.ndarray, k: int) -> list[int]:
    """Indices (into ``xy``) of ``k`` distinct candidates nearest to k-means centres of them."""
    pts = xy[candidates]
    centres = [pts[rng.integers(len(pts))]]
    for _ in range(k - 1):
        d = np.min([np.hypot(*(pts - c).T) for c in centres], axis=0)
        centres.append(pts[int(np.argmax(d))])
    centres = np.asarray(centres)
    for _ in range(15):
        label = np.argmin(((pts[:, None] - centres[None]) ** 2).sum(-1), axis=1)
        centres = np.asarray([pts[label == j].mean(axis=0) if (label == j).any() else centres[j]
                              for j in range(k)])
    chosen: list[int] = []
    for c in centres:
        for i in np.argsort(np.hypot(*(pts - c).T), kind="stable"):
            if int(candidates[i]) not in chosen:
                chosen.append(int(candidates[i]))
                break
    return chosen


def _points_in(rng, polygon, n: int) -> np.ndarray:
    """``n`` uniform random points (rounded to whole metres) inside ``polygon``."""
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.round(rng.uniform((x0, y0), (x1, y1), (max(8, 4 * n), 2)))
        out = np.vstack([out, cand[shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _compass(dx: float, dy: float) -> str:
    return COMPASS[int(round(math.atan2(dy, dx) / (math.pi / 4))) % 8]


# ---------------------------------------------------------------- names

class _Names:
    """Unique, English-sounding fictional place names."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = {BOROUGH}

    def place(self) -> str:
        while True:
            pre = _PREFIXES[self.rng.integers(len(_PREFIXES))]
            suf = _SUFFIXES[self.rng.integers(len(_SUFFIXES))]
            name = pre + suf
            if pre.lower()[-2:] != suf[:2] and self.take(name):
                return name

    def take(self, name: str) -> bool:
        if name in self.used:
            return False
        self.used.add(name)
        return True


# ---------------------------------------------------------------- the borough

def generate_borough(seed: int = 2009) -> DemoBorough:
    """Generate the fictional borough of Ashvale.

    About 40 wards tiling an irregular 620-780 km² outline, about 150 LSOAs nested in them,
    15-25 parishes over the rural part (deliberately not nested in wards), 3-4 police
    neighbourhoods, five area partnership boards (one per town, two rural), about 120 community
    groups and LSOA indicators with a clear spatial pattern (deprivation in parts of the towns,
    older people in the countryside).

    Parameters
    ----------
    seed : int, default 2009
        Seed of the numpy Generator; the same seed gives identical output.

    Returns
    -------
    DemoBorough

    Examples
    --------
    >>> borough = generate_borough(seed=7)
    >>> len(borough.lad), 38 <= len(borough.wards) <= 42, borough.wards.crs.to_epsg()
    (1, True, 27700)
    """
    rng = np.random.default_rng(seed)
    names = _Names(rng)
    outline = _outline(rng)
    x0, y0, x1, y1 = outline.bounds
    box = shapely.box(x0 - 20_000, y0 - 20_000, x1 + 20_000, y1 + 20_000)
    town_names = [BOROUGH, names.place(), names.place()]
    towns_xy = _place_towns(rng, outline)

    # LSOAs: warped Voronoi cells of seeds spread well inside each town, then across the countryside.
    warp = _make_warp(rng)
    seed_inside = outline.buffer(-250.0)
    shapely.prepare(seed_inside)

    def warped_inside(c):
        return shapely.contains_xy(seed_inside, *warp(c).T)

    seeds, lsoa_town = [], []
    for t, (radius, count, _) in enumerate(TOWNS):
        disc = shapely.Point(towns_xy[t]).buffer(radius, quad_segs=16)
        seeds.append(_best_candidates(rng, count, disc, valid=warped_inside))
        lsoa_town += [t] * count
    n_rural = int(rng.integers(145, 156)) - len(lsoa_town)
    countryside = shapely.difference(outline, shapely.union_all(
        [shapely.Point(p).buffer(r + 700.0) for p, (r, _, _) in zip(towns_xy, TOWNS)]))
    seeds.append(_best_candidates(rng, n_rural, countryside, np.vstack(seeds), warped_inside))
    lsoa_town = np.asarray(lsoa_town + [-1] * n_rural)
    lsoa_geom = np.asarray(_tessellate(rng, np.vstack(seeds), outline, warp, box), dtype=object)
    lsoa_graph = _rook_graph(lsoa_geom)
    lsoa_xy = shapely.get_coordinates(shapely.point_on_surface(lsoa_geom))

    # Wards: regions grown over the LSOA graph from k-means seeds (more LSOAs per town ward).
    n_wards = int(rng.integers(38, 43))
    sources = []
    for t, (_, _, k) in enumerate(TOWNS):
        sources += _kmeans_sources(rng, lsoa_xy, np.flatnonzero(lsoa_town == t), k)
    sources += _kmeans_sources(rng, lsoa_xy, np.flatnonzero(lsoa_town == -1), n_wards - len(sources))
    region = _graph_regions(lsoa_graph, sources)
    lsoa_ward = np.array([region[i] for i in range(len(lsoa_geom))])
    ward_geom = np.asarray([shapely.union_all(lsoa_geom[lsoa_ward == w]) for w in range(n_wards)],
                           dtype=object)
    ward_town = lsoa_town[sources]
    ward_xy = shapely.get_coordinates(shapely.point_on_surface(ward_geom))
    ward_graph = _rook_graph(ward_geom)

    # Parishes: an independent warped Voronoi over the rural wards only (towns are unparished).
    rural_area = shapely.union_all(ward_geom[ward_town < 0])
    parish_inside = rural_area.buffer(-250.0)
    shapely.prepare(parish_inside)
    parish_warp = _make_warp(rng)
    n_parish = int(rng.integers(16, 25))
    parish_seeds = _best_candidates(rng, n_parish, parish_inside,
                                    valid=lambda c: shapely.contains_xy(parish_inside, *parish_warp(c).T))
    parish_geom = np.asarray(_tessellate(rng, parish_seeds, rural_area, parish_warp, box, keep_all=False),
                             dtype=object)
    parish_base = [names.place() for _ in range(n_parish)]
    town_council = np.argsort(-shapely.area(parish_geom), kind="stable")[:2].tolist()
    parish_names = [f"{b} Town Council" if i in town_council else f"{b} Parish"
                    for i, b in enumerate(parish_base)]

    # Names and codes: wards alphabetical; LSOAs by ward, north to south ("Hartley & Rural 001A").
    ward_names, ward_place = _name_wards(rng, names, town_names, towns_xy, ward_town, ward_geom, ward_xy,
                                         parish_geom, parish_base)
    ward_order = sorted(range(n_wards), key=lambda w: ward_names[w])
    ward_code = {w: f"X05{i:06d}" for i, w in enumerate(ward_order, 1)}
    lsoa_order = sorted(range(len(lsoa_geom)), key=lambda i: (ward_code[lsoa_ward[i]], -lsoa_xy[i, 1]))
    lsoa_code, lsoa_name, letters = {}, {}, {}
    for n, i in enumerate(lsoa_order, 1):
        w = lsoa_ward[i]
        letters[w] = letters.get(w, 0) + 1
        lsoa_code[i] = f"X01{n:06d}"
        lsoa_name[i] = f"{ward_names[w]} 001{chr(64 + letters[w])}"

    apb_of, apb_names = _apbs(rng, ward_graph, ward_town, ward_xy, towns_xy, town_names)
    apb_ids = [n.lower().replace(" ", "-") for n in apb_names]
    apb_wards = pd.DataFrame(
        [(ward_code[w], ward_names[w], apb_ids[apb_of[w]], apb_names[apb_of[w]]) for w in ward_order],
        columns=["ward_code", "ward_name", "apb_id", "apb_name"])

    lsoa_svc = _police(rng, lsoa_graph, lsoa_ward, ward_graph, ward_xy)
    svc_geom = [shapely.union_all(lsoa_geom[lsoa_svc == s]) for s in range(lsoa_svc.max() + 1)]
    centre = shapely.get_coordinates(shapely.centroid(outline))[0]
    svc_names: list[str] = []
    for geom in svc_geom:
        inside = [town for town, xy in zip(town_names, towns_xy) if shapely.contains_xy(geom, *xy)]
        direction = _compass(*(shapely.get_coordinates(shapely.point_on_surface(geom))[0] - centre))
        label = " & ".join(inside) if inside else f"Rural {direction}"
        svc_names.append(label + f" {direction}" * (label in svc_names))
    svc_names = [f"{n} Neighbourhood" for n in svc_names]

    deprivation, rurality = _deprivation(rng, lsoa_xy, towns_xy)
    indicators = _indicators(rng, deprivation, rurality)
    indicators.insert(0, "code", [lsoa_code[i] for i in range(len(lsoa_geom))])
    indicators = indicators.iloc[lsoa_order].reset_index(drop=True)

    lad = gpd.GeoDataFrame({"code": [LAD_CODE], "name": [f"{BOROUGH} (fictional)"]},
                           geometry=[shapely.union_all(ward_geom)], crs=CRS)
    wards = _frame([ward_code[w] for w in ward_order], [ward_names[w] for w in ward_order],
                   ward_geom[ward_order])
    lsoa = _frame([lsoa_code[i] for i in lsoa_order], [lsoa_name[i] for i in lsoa_order],
                  lsoa_geom[lsoa_order])
    lsoa.insert(2, "ward_code", [ward_code[lsoa_ward[i]] for i in lsoa_order])
    parish_order = sorted(range(n_parish), key=lambda p: parish_names[p])
    parishes = _frame([f"X04{i:06d}" for i in range(1, n_parish + 1)],
                      [parish_names[p] for p in parish_order], parish_geom[parish_order])
    service = _frame([f"X99{i:06d}" for i in range(1, len(svc_geom) + 1)], svc_names, svc_geom)
    groups = _groups(rng, lsoa, indicators, parishes, [parish_base[p] for p in parish_order],
                     {ward_code[w]: ward_place[w] for w in range(n_wards)},
                     {lsoa_code[i]: lsoa_town[i] for i in range(len(lsoa_geom))},
                     {ward_code[w]: apb_of[w] for w in range(n_wards)})
    return DemoBorough(seed=seed, lad=lad, wards=wards, lsoa=lsoa, parishes=parishes, service=service,
                       apb_wards=apb_wards, groups=groups, indicators=indicators,
                       indicator_metadata=_indicator_metadata(seed))


def _place_towns(rng, outline) -> np.ndarray:
    """Centres of the three towns: the main one near the middle, the others apart and clear of the edge."""
    centre = shapely.get_coordinates(shapely.centroid(outline))[0]
    scale = math.sqrt(outline.area / math.pi)
    inner = outline.buffer(-1500.0)
    towns: list[np.ndarray] = []
    for t, (radius, _, _) in enumerate(TOWNS):
        for _ in range(10_000):
            if t == 0:
                p = centre + rng.normal(0, 0.08 * scale, 2)
            else:
                angle = rng.uniform(0, 2 * math.pi)
                p = centre + rng.uniform(0.5, 0.72) * scale * np.array([math.cos(angle), math.sin(angle)])
            if shapely.contains(inner, shapely.Point(p).buffer(radius)) and all(
                    np.hypot(*(p - q)) > radius + TOWNS[j][0] + 1500 for j, q in enumerate(towns)):
                towns.append(p)
                break
        else:
            raise RuntimeError("could not place the towns")
    return np.asarray(towns)


def _name_wards(rng, names, town_names, towns_xy, ward_town, ward_geom, ward_xy, parish_geom, parish_base):
    """Ward names, and the place each ward's groups are named after.

    Town wards are named after their town (``Dundon Central``, ``Dundon North``) or a neighbourhood
    (``Kingsmead Park``); rural wards after the parishes they overlap most (``Hartley``,
    ``Hartley & Oakwell``, ``Hartley & Rural``).
    """
    ward_names: list[str | None] = [None] * len(ward_geom)
    ward_place = [""] * len(ward_geom)
    for t, town in enumerate(town_names):
        members = np.flatnonzero(ward_town == t)
        containing = [w for w in members if shapely.contains_xy(ward_geom[w], *towns_xy[t])]
        if containing:
            ward_names[containing[0]], ward_place[containing[0]] = f"{town} Central", town
        for w in members[np.argsort(-np.hypot(*(ward_xy[members] - towns_xy[t]).T), kind="stable")]:
            if ward_names[w] is None:
                name = f"{town} {_compass(*(ward_xy[w] - towns_xy[t]))}"
                if rng.random() < 0.5 and name not in ward_names:
                    ward_names[w], ward_place[w] = name, town
                else:
                    ward_place[w] = names.place()
                    ward_names[w] = ward_place[w] + _DISTRICTS[rng.integers(len(_DISTRICTS))]
    named_after: set[int] = set()
    for w in np.flatnonzero(ward_town < 0):
        overlap = shapely.area(shapely.intersection(ward_geom[w], parish_geom))
        order = [int(p) for p in np.argsort(-overlap, kind="stable") if overlap[p] > 0.05 * overlap.max()]
        for i, p in enumerate(order):
            style = rng.random()
            if style < 0.3 and i + 1 < len(order):
                name = f"{parish_base[p]} & {parish_base[order[i + 1]]}"
            elif style < 0.45:
                name = f"{parish_base[p]} & Rural"
            else:
                name = parish_base[p]
            if p not in named_after and name not in ward_names:
                ward_names[w], ward_place[w] = name, parish_base[p]
                named_after.add(p)
                break
        else:
            ward_names[w] = ward_place[w] = names.place()
    return ward_names, ward_place


def _apbs(rng, ward_graph, ward_town, ward_xy, towns_xy, town_names) -> tuple[dict[int, int], list[str]]:
    """Ward -> APB index, and APB names: one APB per town (its connected core of town wards), two rural.

    The countryside left over may be cut into pieces by the towns: the two largest pieces (of three
    wards or more) become the rural APBs, or else the largest is split in two; small pieces join the
    neighbouring APB they share most boundary with. Every APB is contiguous.
    """
    apb_of: dict[int, int] = {}
    for t in range(len(town_names)):
        sub = ward_graph.subgraph(np.flatnonzero(ward_town == t).tolist())
        start = min(sub.nodes, key=lambda w: np.hypot(*(ward_xy[w] - towns_xy[t])))
        for w in nx.node_connected_component(sub, start):
            apb_of[w] = t
    rest = ward_graph.subgraph([w for w in ward_graph.nodes if w not in apb_of])
    pieces = sorted((sorted(c) for c in nx.connected_components(rest)), key=lambda c: (-len(c), c[0]))
    if len(pieces) > 1 and len(pieces[1]) >= 3:
        apb_of.update({w: 3 + r for r in (0, 1) for w in pieces[r]})
    else:
        sources = _kmeans_sources(rng, ward_xy, np.asarray(pieces[0]), 2)
        apb_of.update({w: 3 + r for w, r in _graph_regions(rest.subgraph(pieces[0]), sources).items()})
    _attach_rest(ward_graph, apb_of)
    a, b = (ward_xy[[w for w in apb_of if apb_of[w] == i]].mean(axis=0) for i in (3, 4))
    pair = ("East", "West") if abs(a[0] - b[0]) >= abs(a[1] - b[1]) else ("North", "South")
    first = 0 if (a[0] > b[0] if pair[0] == "East" else a[1] > b[1]) else 1
    return apb_of, [f"{BOROUGH} Town", *town_names[1:], f"Rural {pair[first]}", f"Rural {pair[1 - first]}"]


def _police(rng, lsoa_graph, lsoa_ward, ward_graph, ward_xy) -> np.ndarray:
    """LSOA -> police neighbourhood (3 or 4): groups of wards, then a few border LSOAs moved across.

    At least one and at most one LSOA per ward moves, so the neighbourhoods follow wards only roughly.
    """
    n_wards = ward_graph.number_of_nodes()
    sources = _kmeans_sources(rng, ward_xy, np.arange(n_wards), int(rng.integers(3, 5)))
    ward_svc = _graph_regions(ward_graph, sources)
    lsoa_svc = np.array([ward_svc[w] for w in lsoa_ward.tolist()])
    split_wards: set[int] = set()
    for i in rng.permutation(len(lsoa_svc)).tolist():
        w = int(lsoa_ward[i])
        others = sorted({int(lsoa_svc[j]) for j in lsoa_graph[i]} - {int(lsoa_svc[i])})
        if not others or w in split_wards or (split_wards and rng.random() > 0.15):
            continue
        left = [j for j in np.flatnonzero(lsoa_svc == lsoa_svc[i]).tolist() if j != i]
        if left and nx.is_connected(lsoa_graph.subgraph(left)):
            lsoa_svc[i] = others[rng.integers(len(others))]
            split_wards.add(w)
    return lsoa_svc


def _deprivation(rng, lsoa_xy, towns_xy) -> tuple[np.ndarray, np.ndarray]:
    """Latent deprivation (0-1: hotspots in parts of each town) and rurality (0 in town, 1 far out)."""
    radii = np.array([r for r, _, _ in TOWNS])
    dist = np.hypot(*(lsoa_xy[:, None, :] - towns_xy[None]).transpose(2, 0, 1))
    rurality = np.clip((dist.min(axis=1) - radii[dist.argmin(axis=1)]) / 5000.0, 0.0, 1.0)
    deprivation = np.zeros(len(lsoa_xy))
    for t, r in enumerate(radii):
        for _ in range(1 + (t == 0)):  # two hotspots in the main town
            angle = rng.uniform(0, 2 * math.pi)
            hot = towns_xy[t] + rng.uniform(0.2, 0.6) * r * np.array([math.cos(angle), math.sin(angle)])
            d = np.hypot(*(lsoa_xy - hot).T)
            deprivation += rng.uniform(0.7, 1.0) * np.exp(-0.5 * (d / (0.45 * r)) ** 2)
    return np.clip(deprivation + rng.normal(0, 0.05, len(lsoa_xy)), 0.0, 1.0), rurality


def _attach_rest(graph: nx.Graph, assigned: dict[int, int]) -> None:
    """Give every unassigned node the region of the neighbour it shares most boundary with."""
    while len(assigned) < graph.number_of_nodes():
        before = len(assigned)
        for node in sorted(set(graph.nodes) - set(assigned)):
            nbrs = [(graph.edges[node, n]["shared"], n) for n in graph[node] if n in assigned]
            if nbrs:
                assigned[node] = assigned[max(nbrs)[1]]
        if len(assigned) == before:
            raise RuntimeError("the ward graph is not connected")


def _frame(codes, names, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": list(codes), "name": list(names)}, geometry=list(geoms), crs=CRS)


def _indicators(rng, deprivation: np.ndarray, rurality: np.ndarray) -> pd.DataFrame:
    n = len(deprivation)
    population = np.clip(np.round(rng.normal(1600, 300, n)), 820, 2480).astype(int)
    share_young = np.clip(0.17 + 0.06 * deprivation - 0.03 * rurality + rng.normal(0, 0.015, n), 0.08, 0.3)
    share_old = np.clip(0.14 + 0.15 * rurality - 0.05 * deprivation + rng.normal(0, 0.02, n), 0.05, 0.4)
    young = np.round(population * share_young).astype(int)
    old = np.round(population * share_old).astype(int)
    working = population - young - old
    income_rate = np.clip(0.04 + 0.36 * deprivation + rng.normal(0, 0.015, n), 0.01, 0.6)
    employment_rate = np.clip(0.03 + 0.26 * deprivation + rng.normal(0, 0.012, n), 0.01, 0.5)
    imd = np.clip(6 + 58 * deprivation - 2 * rurality + rng.normal(0, 3.5, n), 0.5, 80)
    return pd.DataFrame({
        "population": population, "population_0_15": young, "working_age_population": working,
        "population_65_plus": old, "income_deprived": np.round(population * income_rate).astype(int),
        "employment_deprived": np.round(working * employment_rate).astype(int),
        "imd_score": np.round(imd, 1)})


def _indicator_metadata(seed: int) -> list[dict]:
    source = f"Fictional demo data generated by Partnership Atlas (seed {seed})"
    rows = [
        ("population", "Total population", "All usual residents.", "Population", "count", "", "",
         "neither", "people"),
        ("population_0_15", "Children aged 0-15", "Residents aged 0 to 15.", CYP, "count", "", "",
         "neither", "people"),
        ("working_age_population", "Working-age population", "Residents aged 16 to 64.", ECON, "count",
         "", "", "neither", "people"),
        ("population_65_plus", "People aged 65 and over", "Residents aged 65 and over.", HEALTH, "count",
         "", "", "neither", "people"),
        ("income_deprived", "Income-deprived people", "People in income-deprived households.", ECON,
         "count", "", "", "higher is worse", "people"),
        ("employment_deprived", "Employment-deprived people",
         "Working-age people out of work involuntarily.", ECON, "count", "", "", "higher is worse",
         "people"),
        ("imd_score", "Index of multiple deprivation score",
         "Combined deprivation score, 0 to 80; higher means more deprived.", "Deprivation", "score", "", "",
         "higher is worse", "score"),
        ("share_0_15", "Children aged 0-15 (%)", "Share of residents aged 0 to 15.", CYP, "proportion",
         "population_0_15", "population", "neither", "%"),
        ("share_65_plus", "People aged 65 and over (%)", "Share of residents aged 65 and over.", HEALTH,
         "proportion", "population_65_plus", "population", "neither", "%"),
        ("income_deprivation_rate", "Income deprivation rate (%)",
         "Share of residents who are income deprived.", ECON, "proportion", "income_deprived",
         "population", "higher is worse", "%"),
        ("employment_deprivation_rate", "Employment deprivation rate (%)",
         "Share of working-age residents who are employment deprived.", ECON, "proportion",
         "employment_deprived", "working_age_population", "higher is worse", "%"),
    ]
    keys = ("id", "title", "description", "theme", "type", "numerator", "denominator", "polarity", "unit")
    roles = {"population": "population", "population_0_15": "age band", "working_age_population": "age band",
             "population_65_plus": "age band"}
    return [dict(zip(keys, row), source=source, period=VINTAGE, licence=LICENCE, role=roles.get(row[0]))
            for row in rows]


def _groups(rng, lsoa, indicators, parishes, parish_place, ward_place, lsoa_town,
            apb_index) -> gpd.GeoDataFrame:
    """About 120 groups: one council per parish, the rest placed in LSOAs by population."""
    rows, taken = [], set()
    for name, geom in zip(parishes["name"], parishes.geometry):
        council = name.replace(" Parish", " Parish Council")
        rows.append((council, "town or parish council", (SUST, SAFER), "residents", "small",
                     _points_in(rng, geom, 1)[0]))
        taken.add(council)
    parish_tree = shapely.STRtree(parishes.geometry.values)
    pop = indicators.set_index("code").loc[lsoa["code"], "population"].to_numpy(float)
    is_town = np.array([lsoa_town[c] >= 0 for c in lsoa["code"]])
    weight = pop * np.where(is_town, 1.0, 0.7)
    n_total = int(rng.integers(115, 126))
    while len(rows) < n_total:
        i = int(rng.choice(len(lsoa), p=weight / weight.sum()))
        xy = _points_in(rng, lsoa.geometry.iloc[i], 1)[0]
        hit = parish_tree.query(shapely.Point(xy), predicate="within")
        place = (parish_place[int(hit[0])] if len(hit) and rng.random() < 0.7
                 else ward_place[lsoa["ward_code"].iloc[i]])
        where = "town" if is_town[i] else "rural"
        options = [t for t in _TEMPLATES if t[4] in ("any", where)]
        template, kind, themes, serves, _ = options[rng.integers(len(options))]
        name = template.format(place=place, saint=_SAINTS[rng.integers(len(_SAINTS))])
        if name in taken:
            continue
        taken.add(name)
        if kind == "statutory service":
            size = "large"
        elif kind in ("charity", "social enterprise"):
            size = ("small", "medium", "large")[int(rng.choice(3, p=[0.55, 0.35, 0.1]))]
        else:
            size = "small" if rng.random() < 0.9 else "medium"
        rows.append((name, kind, themes, serves, size, xy))
    xy = np.asarray([r[5] for r in rows])
    points = shapely.points(xy)
    left, right = shapely.STRtree(lsoa.geometry.values).query(points, predicate="intersects")
    first = pd.Series(right).groupby(left).min()
    codes = lsoa["code"].to_numpy()[first.reindex(range(len(rows))).to_numpy()]
    ward_of = dict(zip(lsoa["code"], lsoa["ward_code"]))
    postcodes = []
    for code in codes:
        inward = (f"{rng.integers(10)}{_POSTCODE_LETTERS[rng.integers(20)]}"
                  f"{_POSTCODE_LETTERS[rng.integers(20)]}")
        postcodes.append(f"AV{apb_index[ward_of[code]] + 1} {inward}")
    return gpd.GeoDataFrame({
        "id": [f"G{i:04d}" for i in range(1, len(rows) + 1)],
        "name": [r[0] for r in rows], "group_type": [r[1] for r in rows],
        "themes": ["; ".join(r[2]) for r in rows], "serves": [r[3] for r in rows],
        "size": [r[4] for r in rows], "postcode": postcodes,
        "easting": xy[:, 0].astype(int), "northing": xy[:, 1].astype(int),
        "lsoa_code": codes, "ward_code": [ward_of[c] for c in codes]},
        geometry=points, crs=CRS)


# ---------------------------------------------------------------- files

def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _catalogue_toml(borough: DemoBorough, seed: int) -> str:
    """The indicator catalogue of the demo: metadata for indicators.csv, in the app's catalogue format."""
    parts = [_toml_table("[catalogue]", {
        "id": "demo", "title": "Demo borough indicators (fictional)", "file": "indicators.csv",
        "code_column": "code", "period": VINTAGE, "fictional": True, "licence": LICENCE,
        "source": f"Fictional demo data generated by Partnership Atlas (seed {seed})", "population_estimates": True})]
    for meta in borough.indicator_metadata:
        columns = ({"numerator": meta["numerator"], "denominator": meta["denominator"]}
                   if meta["type"] == "proportion" else {"column": meta["id"]})
        role = {"role": meta["role"]} if meta.get("role") else {}
        parts.append(_toml_table("[[indicators]]", {
            key: meta[key] for key in ("id", "title", "description", "theme", "type", "polarity", "unit")}
            | columns | role))
    return "\n".join(parts)


def _toml_table(header: str, values: dict) -> str:
    return "\n".join([header] + [f"{k} = {_toml(v)}" for k, v in values.items()]) + "\n"


def write_demo(directory, seed: int = 2009) -> Path:
    """Write the demo borough as files plus a ``manifest.toml`` that the app's loader reads.

    Writes ``demo.gpkg`` (layers lad, wards, lsoa, parishes, service), ``apb_wards.csv``,
    ``groups.csv`` (with easting and northing), ``indicators.csv`` and its catalogue ``indicators.toml``.

    Parameters
    ----------
    directory : str or path-like
        Where to write; created if needed. Files already there with these names are replaced.
    seed : int, default 2009
        Passed to :func:`generate_borough`.

    Returns
    -------
    pathlib.Path
        The manifest's path.

    Examples
    --------
    >>> import tempfile, tomllib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     manifest = write_demo(tmp, seed=7)
    ...     tomllib.loads(manifest.read_text())["area"]["fictional"]
    True
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    borough = generate_borough(seed)
    gpkg = directory / "demo.gpkg"
    gpkg.unlink(missing_ok=True)
    for layer in ("lad", "wards", "lsoa", "parishes", "service"):
        getattr(borough, layer).to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio")
    csv = {"lineterminator": "\n", "index": False}
    borough.apb_wards.to_csv(directory / "apb_wards.csv", **csv)
    pd.DataFrame(borough.groups.drop(columns="geometry")).to_csv(directory / "groups.csv", **csv)
    borough.indicators.to_csv(directory / "indicators.csv", **csv)
    (directory / "indicators.toml").write_text(_catalogue_toml(borough, seed), encoding="utf-8")

    source = f"Fictional demo data (seed {seed})"
    common = {"vintage": VINTAGE, "source": source, "licence": LICENCE}
    parts = [_toml_table("[area]", {
        "name": borough.lad["name"].iloc[0], "code": LAD_CODE, "fictional": True,
        "attribution": [f"Fictional demo data generated by Partnership Atlas from seed {seed}. "
                        "Not a real place."]})]
    for set_id, kind, name, layer in (("lad", "lad", "Borough", "lad"), ("wards", "ward", "Wards", "wards"),
                                      ("lsoa", "lsoa", "LSOAs", "lsoa"),
                                      ("parishes", "parish", "Parishes", "parishes"),
                                      ("police", "service", "Police neighbourhoods (fictional)", "service")):
        service = {"service_type": "police-neighbourhood"} if kind == "service" else {}
        parts.append(_toml_table("[[boundaries]]", {
            "id": set_id, "kind": kind, "name": name, "file": gpkg.name, "layer": layer,
            "code_field": "code", "name_field": "name", **service, **common}))
    parts.append(_toml_table("[[groupings]]", {
        "id": "apb", "kind": "apb", "name": "Area Partnership Boards", "blocks": "wards",
        "file": "apb_wards.csv", "block_field": "ward_code", "group_code_field": "apb_id",
        "group_name_field": "apb_name", **common}))
    parts.append(_toml_table("[[groups]]", {
        "file": "groups.csv", "source": common["source"], "licence": common["licence"],
        "x_field": "easting", "y_field": "northing", "crs": "EPSG:27700"}))
    parts.append(_toml_table("[[indicators]]", {"catalogue": "indicators.toml", "set": "lsoa"}))
    manifest = directory / "manifest.toml"
    manifest.write_text(f"# Fictional demo borough, generated from seed {seed}. Not a real place.\n\n"
                        + "\n".join(parts), encoding="utf-8")
    return manifest
