"""Which areas are neighbours, and whether a set of areas is in one piece.

Generalised ONS boundaries leave hairline gaps between neighbours, so two areas
count as neighbours when they touch or lie within a small distance of each
other (measured in metres, in British National Grid).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from boundaries.crs import to_storage
from boundaries.errors import BoundaryError


def adjacency_graph(gdf: gpd.GeoDataFrame, *, tolerance: float = 1.0, key: str = "code") -> nx.Graph:
    """Build the graph of neighbouring areas.

    Two areas are joined when they share a boundary or a corner, or lie within
    ``tolerance`` metres of each other.  Candidate pairs come from a spatial
    index, so large sets (tens of thousands of areas) take seconds.

    Parameters
    ----------
    gdf : GeoDataFrame
        The areas, in any CRS (distances are measured in EPSG:27700); not modified.
    tolerance : float
        Largest gap, in metres, between two areas still counted as neighbours.
    key : str
        Column naming each area; its values become the graph's nodes.

    Returns
    -------
    networkx.Graph
        One node per area (isolated areas included), one edge per pair of neighbours.

    Raises
    ------
    BoundaryError
        If ``key`` is not a column or its values are not unique.
    CRSError
        If the frame has no CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:27700",
    ...     geometry=[box(0, 0, 1, 1), box(1.5, 0, 2, 1), box(10, 0, 11, 1)])
    >>> sorted(adjacency_graph(areas).edges())
    [('a', 'b')]
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be zero or more metres, not {tolerance}")
    if key not in gdf.columns:
        raise BoundaryError(f"the areas have no '{key}' column to name them by")
    codes = [str(code) for code in gdf[key]]
    repeated = sorted(code for code, count in Counter(codes).items() if count > 1)
    if repeated:
        raise BoundaryError(f"the areas' '{key}' values are not unique: {', '.join(repeated)}")
    geoms = np.asarray(to_storage(gdf[[gdf.geometry.name]]).geometry.array, dtype=object)
    pairs = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tolerance)
    graph = nx.Graph()
    graph.add_nodes_from(codes)
    graph.add_edges_from((codes[i], codes[j]) for i, j in pairs.T if i < j)
    return graph


def pieces(graph: nx.Graph, codes: Iterable[str]) -> list[set[str]]:
    """Split some of the graph's areas into groups that hang together.

    Parameters
    ----------
    graph : networkx.Graph
        From :func:`adjacency_graph`.
    codes : iterable of str
        The areas to look at; paths through other areas do not count.

    Returns
    -------
    list of set of str
        The connected pieces, largest first (ties in code order).  One piece
        means the areas are contiguous.

    Raises
    ------
    BoundaryError
        If a code is not in the graph.

    Examples
    --------
    >>> graph = nx.Graph([("a", "b"), ("b", "c")])
    >>> pieces(graph, ["a", "c"])
    [{'a'}, {'c'}]
    >>> [sorted(piece) for piece in pieces(graph, ["a", "b", "c"])]
    [['a', 'b', 'c']]
    """
    wanted = set(codes)
    unknown = sorted(code for code in wanted if code not in graph)
    if unknown:
        raise BoundaryError(f"not among the areas: {', '.join(unknown)}")
    found = [set(piece) for piece in nx.connected_components(graph.subgraph(wanted))]
    return sorted(found, key=lambda piece: (-len(piece), min(piece)))
