"""The home map: a folium map with one toggleable overlay per boundary set and the community groups.

folium builds the map, the layer control and one empty layer group per overlay; the browser fills
each group with GeoJSON fetched from the app (``geoapp/static/js/atlas-map.js``), so no boundary
data sits in the page. Every string that reaches Leaflet as HTML (layer names, the basemap
attribution) is escaped here; popups and labels are built with ``textContent`` in the browser.

Pure: knows nothing of Flask or the database. The caller passes URLs in.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import folium
from branca.element import CssLink, Element, JavascriptLink
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster

from .tiles import MIN_ZOOM as TILES_MIN_ZOOM

#: Short words for each kind, used in popups ("In: Chester (APB)") and the legend.
KIND_WORDS = {"lad": "borough", "apb": "APB", "laf": "LAF", "ward": "ward", "parish": "parish",
              "lsoa": "LSOA", "msoa": "MSOA", "service": "service area"}

#: Drawing order, bottom first: finer areas lie on top so a click picks the finest area shown.
KIND_RANK = {"service": 0, "lad": 1, "apb": 2, "laf": 3, "msoa": 4, "parish": 5, "ward": 6, "lsoa": 7}

#: Order of the layer list and legend: the borough and partnership areas first, service areas last.
LIST_ORDER = ("lad", "apb", "laf", "ward", "parish", "msoa", "lsoa", "service")

#: Kinds whose first set is switched on when the page opens.
DEFAULT_ON = ("lad", "apb", "ward")

#: Kinds whose area names are shown as permanent labels.
LABELLED = ("apb", "laf")

#: Map zoom limits (needed: marker clustering requires a map maxZoom when there is no tile layer).
MIN_ZOOM, MAX_ZOOM = 6, 18


@dataclass(frozen=True)
class Style:
    """How a boundary set is drawn: an outline with a transparent fill, and the same in words."""

    color: str
    weight: float
    words: str
    opacity: float = 1.0
    dash_array: str | None = None

    def leaflet(self) -> dict:
        """Leaflet path options (the fill is transparent but still takes clicks)."""
        out = {"color": self.color, "weight": self.weight, "opacity": self.opacity,
               "fill": True, "fillOpacity": 0}
        if self.dash_array:
            out["dashArray"] = self.dash_array
        return out

    def swatch(self) -> str:
        """A small inline SVG line in this style (decorative: hidden from screen readers)."""
        dash = f' stroke-dasharray="{html.escape(self.dash_array)}"' if self.dash_array else ""
        return (f'<svg class="atlas-swatch" aria-hidden="true" focusable="false" width="28" height="12" '
                f'viewBox="0 0 28 12"><line x1="1" y1="6" x2="27" y2="6" stroke="{html.escape(self.color)}" '
                f'stroke-width="{min(self.weight, 8):g}" stroke-opacity="{self.opacity:g}"{dash}/></svg>')


# Colours from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies);
# kinds also differ in width and dash pattern, and the legend says each style in words.
KIND_STYLES = {
    "lad": Style("#000000", 7, "wide grey band", opacity=0.3),
    "apb": Style("#000000", 3.5, "thick black line, names labelled"),
    "laf": Style("#CC79A7", 3.5, "thick pink line, names labelled"),
    "ward": Style("#0072B2", 2, "medium blue line"),
    "parish": Style("#D55E00", 2, "dashed red-orange line", dash_array="6 4"),
    "msoa": Style("#009E73", 1.5, "green line"),
    "lsoa": Style("#666666", 1, "thin grey line", opacity=0.8),
}
SERVICE_STYLES = (
    Style("#E69F00", 3.5, "thick orange line"),
    Style("#E69F00", 3.5, "thick orange dashed line", dash_array="12 8"),
    Style("#E69F00", 3.5, "thick orange dotted line", dash_array="2 7"),
    Style("#56B4E9", 3.5, "thick sky-blue line"),
    Style("#56B4E9", 3.5, "thick sky-blue dashed line", dash_array="12 8"),
    Style("#56B4E9", 3.5, "thick sky-blue dotted line", dash_array="2 7"),
)
OTHER_STYLE = Style("#666666", 2, "grey dashed line", dash_array="4 4")
GROUPS_WORDS = "blue dots; a numbered circle stands for several groups close together"

#: folium's asset names -> file under the app's static vendor folder (see tools/vendor_assets.py).
LOCAL_ASSETS = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
}
#: folium's default assets the atlas map does not use (its popups, labels and icons need none of them).
UNUSED_ASSETS = frozenset({"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
                           "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"})


@dataclass(frozen=True)
class TileUrls:
    """Where a large set's map finds its vector tiles and, for one area or a view, its areas' details."""

    tiles: str  #: tile URL template with {z}, {x} and {y}
    area: str  #: an area's popup details, with CODE in place of its code
    view: str  #: the areas meeting ?bbox=west,south,east,north
    min_zoom: int = TILES_MIN_ZOOM  #: the first zoom the map draws the set at


@dataclass(frozen=True)
class Overlay:
    """One boundary set as a map overlay."""

    set_id: str
    name: str
    kind: str
    url: str
    style: Style
    show: bool
    labels: bool
    tiles: TileUrls | None = None  #: set when the set is drawn from vector tiles rather than its GeoJSON

    @property
    def rank(self) -> int:
        return KIND_RANK.get(self.kind, 0)

    def control_label(self) -> str:
        """The overlay's name and style in the layer control, as HTML (Leaflet inserts it as HTML)."""
        return _control_label(self.style.swatch(), self.name, self.style.words)


@dataclass
class AtlasMap:
    """A built map: the folium map and what the page's script needs to fill it."""

    map: folium.Map
    overlays: list[Overlay]
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MapParts:
    """A rendered map in the three places a page puts it."""

    head: str  #: <link>/<script src> tags for the map's libraries
    html: str  #: the map's <div>
    script: str  #: folium's inline script (without the <script> tags)


def plan_overlays(sets: Iterable[Mapping], url: Callable[[str], str],
                  tiles: Callable[[Mapping], TileUrls | None] | None = None) -> list[Overlay]:
    """Choose a style, visibility and labels for each boundary set.

    Parameters
    ----------
    sets : iterable of mappings
        Boundary sets with at least ``id``, ``kind`` and ``name``.
    url : callable
        Returns the URL of a set's display GeoJSON from its id.
    tiles : callable, optional
        Returns a set's :class:`TileUrls` when it is to be drawn from vector tiles, else None.

    Returns
    -------
    list of Overlay
        In :data:`LIST_ORDER` of kinds (the order given within a kind). The first set of each
        kind in :data:`DEFAULT_ON` is shown on opening (or, when there is none of those, the
        first set); service sets get distinct orange/sky-blue line patterns in turn.

    Examples
    --------
    >>> sets = [{"id": "lad", "kind": "lad", "name": "Borough"}, {"id": "nhs", "kind": "service",
    ...         "name": "NHS"}, {"id": "wards", "kind": "ward", "name": "Wards"}]
    >>> [(o.set_id, o.show, o.style.words) for o in plan_overlays(sets, lambda i: f"/{i}")]
    [('lad', True, 'wide grey band'), ('wards', True, 'medium blue line'), ('nhs', False, 'thick orange line')]
    >>> big = TileUrls("/t/wards/{z}/{x}/{y}.mvt", "/a/CODE", "/v")
    >>> [o.tiles for o in plan_overlays(sets, str, lambda s: big if s["id"] == "wards" else None)][1].tiles
    '/t/wards/{z}/{x}/{y}.mvt'
    """
    overlays = []
    shown_kinds: set[str] = set()
    services = 0
    ordered = sorted(sets, key=lambda s: LIST_ORDER.index(s["kind"]) if s["kind"] in LIST_ORDER
                     else len(LIST_ORDER))
    for bset in ordered:
        kind = bset["kind"]
        if kind == "service":
            style = SERVICE_STYLES[services % len(SERVICE_STYLES)]
            services += 1
        else:
            style = KIND_STYLES.get(kind, OTHER_STYLE)
        show = kind in DEFAULT_ON and kind not in shown_kinds
        if show:
            shown_kinds.add(kind)
        tiled = tiles(bset) if tiles else None
        overlays.append(Overlay(set_id=bset["id"], name=bset["name"], kind=kind, url=url(bset["id"]),
                                style=style, show=show, labels=kind in LABELLED and tiled is None, tiles=tiled))
    if overlays and not any(o.show for o in overlays):
        first = overlays[0]
        overlays[0] = Overlay(**{**first.__dict__, "show": True})
    return overlays


def build_map(overlays: list[Overlay], *, bounds: list[list[float]] | None, groups_url: str | None = None,
              groups_name: str = "Community groups", basemap_url: str = "",
              basemap_attribution: str = "") -> AtlasMap:
    """Build the folium map: empty overlay groups, the groups cluster, layer control and extent.

    Parameters
    ----------
    overlays : list of Overlay
        From :func:`plan_overlays`.
    bounds : [[south, west], [north, east]] or None
        The extent to fit (the borough); None shows England.
    groups_url : str, optional
        URL of the community groups GeoJSON; None leaves the groups layer out.
    basemap_url, basemap_attribution : str
        Tile URL template and its attribution (plain text); an empty URL means no basemap.

    Returns
    -------
    AtlasMap
        ``config`` holds the variable names and URLs the page script needs.

    Examples
    --------
    >>> sets = [{"id": "wards", "kind": "ward", "name": "Wards <b>"}]
    >>> built = build_map(plan_overlays(sets, lambda i: f"/map/sets/{i}.geojson"),
    ...                   bounds=[[53.0, -3.1], [53.4, -2.4]], groups_url="/map/groups.geojson")
    >>> [layer["url"] for layer in built.config["layers"]], built.config["groups"]["url"]
    (['/map/sets/wards.geojson'], '/map/groups.geojson')
    >>> "Wards <b>" in render_parts(built.map, lambda path: "/static/vendor/" + path).script
    False
    """
    centre = ([(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
              if bounds else [52.8, -1.6])
    fmap = folium.Map(location=centre, zoom_start=11 if bounds else 7, tiles=None, control_scale=True,
                      minZoom=MIN_ZOOM, maxZoom=MAX_ZOOM, zoomSnap=0.25, zoomDelta=0.5)
    if basemap_url:
        folium.TileLayer(tiles=basemap_url, attr=html.escape(basemap_attribution or "Basemap"),
                         name="Basemap", control=False, min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM,
                         ).add_to(fmap)

    layers = []
    for overlay in overlays:
        group = folium.FeatureGroup(name=overlay.control_label(), overlay=True, control=True,
                                    show=overlay.show).add_to(fmap)
        layers.append({"var": group.get_name(), "id": overlay.set_id, "name": overlay.name,
                       "kind": overlay.kind, "url": overlay.url, "rank": overlay.rank,
                       "style": overlay.style.leaflet(), "labels": overlay.labels, "show": overlay.show,
                       "tiles": _tiles_config(overlay.tiles)})

    groups = None
    if groups_url:
        cluster = MarkerCluster(name=_control_label(_DOT_SWATCH, groups_name, GROUPS_WORDS),
                                overlay=True, control=True, show=True,
                                options={"showCoverageOnHover": False, "maxClusterRadius": 60})
        cluster.add_to(fmap)
        groups = {"var": cluster.get_name(), "url": groups_url, "name": groups_name}

    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    if bounds:
        fmap.fit_bounds(bounds, padding=(12, 12))
    config = {"map": fmap.get_name(), "layers": layers, "groups": groups, "kindWords": KIND_WORDS}
    return AtlasMap(map=fmap, overlays=list(overlays), config=config)


def _tiles_config(urls: TileUrls | None) -> dict | None:
    if urls is None:
        return None
    return {"url": urls.tiles, "area": urls.area, "view": urls.view, "minZoom": urls.min_zoom}


def legend_items(overlays: list[Overlay], *, groups: bool) -> list[dict]:
    """The legend, as text with a decorative swatch: one item per overlay, then the groups.

    Examples
    --------
    >>> items = legend_items(plan_overlays([{"id": "apb", "kind": "apb", "name": "APBs"}], str), groups=True)
    >>> [(i["name"], i["shown"]) for i in items]
    [('APBs', True), ('Community groups', True)]
    >>> items[0]["words"]
    'thick black line, names labelled'
    """
    items = [{"name": o.name, "kind": KIND_WORDS.get(o.kind, o.kind), "words": o.style.words,
              "swatch": o.style.swatch(), "shown": o.show} for o in overlays]
    if groups:
        items.append({"name": "Community groups", "kind": "community groups",
                      "words": GROUPS_WORDS,
                      "swatch": _DOT_SWATCH, "shown": True})
    return items


#: How the page's introduction names a kind of layer that is off at first.
KIND_PHRASES = {
    "lad": "other borough boundaries",
    "apb": "other Area Partnership Board (APB) boundaries",
    "laf": "Local Area Forums (LAFs)",
    "ward": "other ward boundaries",
    "parish": "parishes",
    "msoa": "MSOAs (groups of LSOAs with 5,000 to 15,000 residents)",
    "lsoa": "LSOAs (small statistical areas of 1,000 to 3,000 residents)",
    "service": "service areas such as {name}",
}


def describe_overlays(overlays: list[Overlay]) -> tuple[list[str], list[str]]:
    """The names of the layers shown on opening, and phrases for the kinds that start switched off.

    Examples
    --------
    >>> sets = [{"id": "w", "kind": "ward", "name": "Wards"}, {"id": "l", "kind": "lsoa", "name": "LSOAs"},
    ...         {"id": "n", "kind": "service", "name": "NHS sub-ICB locations"}]
    >>> shown, off = describe_overlays(plan_overlays(sets, str))
    >>> shown, off[1]
    (['Wards'], 'service areas such as NHS sub-ICB locations')
    """
    shown = [o.name for o in overlays if o.show]
    phrases: list[str] = []
    seen: set[str] = set()
    for overlay in overlays:
        if overlay.show or overlay.kind in seen:
            continue
        seen.add(overlay.kind)
        phrase = KIND_PHRASES.get(overlay.kind, overlay.name)
        phrases.append(phrase.format(name=overlay.name))
    return shown, phrases


def localise_assets(fmap: folium.Map, asset_url: Callable[[str], str]) -> None:
    """Point every folium element's JS/CSS links at the app's own copies, on these instances only.

    folium keeps CDN links in class-level ``default_js``/``default_css`` lists; this sets
    instance-level lists instead (other maps in the process are untouched, and the URLs can
    follow the app's script root). Assets the map does not need (jQuery, Bootstrap, Font
    Awesome) are dropped.

    Raises
    ------
    ValueError
        If an element needs an asset with no local copy: the page would otherwise load it
        from a CDN.

    Examples
    --------
    >>> fmap = folium.Map(tiles=None)
    >>> localise_assets(fmap, lambda path: "/static/vendor/" + path)
    >>> fmap.default_js, fmap.default_css
    ([('leaflet', '/static/vendor/leaflet/leaflet.js')], [('leaflet_css', '/static/vendor/leaflet/leaflet.css')])
    >>> dict(folium.Map.default_js)["leaflet"].startswith("https://")  # other maps keep folium's CDN links
    True
    >>> from folium.plugins import Fullscreen
    >>> _ = Fullscreen().add_to(fmap)
    >>> localise_assets(fmap, lambda path: "/static/vendor/" + path)
    Traceback (most recent call last):
    ...
    ValueError: Fullscreen needs the asset '...', which has no local copy in LOCAL_ASSETS ...
    """
    for element in _walk(fmap):
        if not isinstance(element, JSCSSMixin):
            continue
        element.default_js = _localised(element, element.default_js, asset_url)
        element.default_css = _localised(element, element.default_css, asset_url)


def render_parts(fmap: folium.Map, asset_url: Callable[[str], str]) -> MapParts:
    """Render the map for embedding in a page: library links, the map div and folium's script.

    folium's standalone page header (a viewport tag that blocks zooming, full-page styles) is
    left out: the page template and ``map.css`` size the map instead.

    Examples
    --------
    >>> fmap = folium.Map(tiles=None)
    >>> parts = render_parts(fmap, lambda path: "/static/vendor/" + path)
    >>> print(parts.head)
    <script src="/static/vendor/leaflet/leaflet.js"></script>
    <link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css"/>
    >>> f'id="{fmap.get_name()}"' in parts.html, f"var {fmap.get_name()} = L.map(" in parts.script
    (True, True)
    >>> "<script" in parts.script, "viewport" in parts.head + parts.html
    (False, False)
    """
    localise_assets(fmap, asset_url)
    root = fmap.get_root()
    root.render()
    head = "\n".join(child.render() for child in root.header._children.values()
                     if isinstance(child, (CssLink, JavascriptLink)))
    return MapParts(head=head, html=root.html.render(), script=root.script.render())


def _localised(element, assets, asset_url) -> list[tuple[str, str]]:
    out = []
    for name, _url in assets:
        if name in UNUSED_ASSETS:
            continue
        if name not in LOCAL_ASSETS:
            raise ValueError(f"{type(element).__name__} needs the asset '{name}', which has no local copy "
                             "in LOCAL_ASSETS (add it to package.json and tools/vendor_assets.py)")
        out.append((name, asset_url(LOCAL_ASSETS[name])))
    return out


def _walk(element: Element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _control_label(swatch: str, name: str, words: str) -> str:
    return (f'{swatch}<span class="atlas-layer-text"><span class="atlas-layer-name">{html.escape(name)}</span> '
            f'<span class="atlas-layer-words">{html.escape(words)}</span></span>')


_DOT_SWATCH = ('<svg class="atlas-swatch" aria-hidden="true" focusable="false" width="28" height="12" '
               'viewBox="0 0 28 12"><circle cx="14" cy="6" r="5" fill="#2A81CB" stroke="#1D5A8E" '
               'stroke-width="1.5"/></svg>')
