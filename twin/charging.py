"""Distances to charge points and where to put new ones.

The geometric kernels of the mobility module (:mod:`twin.mobility`):

- :func:`nearest_distance_straight` — straight-line distance from each
  building footprint to the nearest point, by a spatial index (STRtree).
- :func:`street_graph` and :func:`nearest_distance_network` — distance along
  the street network: street lines become a graph (line vertices are nodes,
  segments are edges), buildings and charge points are snapped to their
  nearest node (the snap distance is added), and one multi-source Dijkstra
  search from all charge points at once gives every node its distance to the
  nearest charge point (:func:`scipy.sparse.csgraph.dijkstra` with
  ``min_only=True``), instead of one search per building.
- :func:`place_chargers` — greedy maximal-coverage location of new public
  charge points (Church & ReVelle 1974, "The maximal covering location
  problem", Papers of the Regional Science Association 32: 101-118; the greedy
  heuristic reaches at least 1 - 1/e of the optimal coverage for a given
  number of sites, Nemhauser, Wolsey & Fisher 1978).

Nothing here reads files or parameter tables.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from twin._errors import input_error

__all__ = [
    "StreetGraph",
    "street_graph",
    "nearest_distance_straight",
    "nearest_distance_network",
    "node_distance",
    "place_chargers",
]


@dataclass(frozen=True)
class StreetGraph:
    """An undirected street graph.

    Parameters
    ----------
    xy : numpy.ndarray
        Node coordinates, shape ``(n, 2)``, in the CRS of the streets.
    u, v : numpy.ndarray
        Edge end nodes (``u < v``), one entry per undirected edge.
    length_m : numpy.ndarray
        Edge lengths in metres.
    """

    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of (deduplicated) undirected edges."""
        return int(self.u.shape[0])


def street_graph(streets: gpd.GeoDataFrame | gpd.GeoSeries, *,
                 node_tolerance_m: float = 0.01,
                 max_segment_m: float | None = 25.0,
                 node_crossings: bool = True) -> StreetGraph:
    """Build an undirected graph from street lines.

    Every vertex of every (Multi)LineString is a node; vertices closer than
    ``node_tolerance_m`` (on a grid of that size) are merged, so lines that
    share an end point are connected. Every segment between consecutive
    vertices is an edge weighted by its Euclidean length; parallel edges keep
    the shortest. With ``node_crossings`` (the default) lines that cross
    are split at the crossing, so a street layer digitised without shared
    junction vertices (common in municipal data) is still connected; pass
    False to keep OSM semantics, where only shared nodes are junctions (a
    bridge over a street is then not a junction).

    Parameters
    ----------
    streets : GeoDataFrame or GeoSeries
        Street centre lines in a metric CRS.
    node_tolerance_m : float
        Grid size for merging vertices into nodes.
    node_crossings : bool
        Split lines where they cross (:func:`shapely.node`).
    max_segment_m : float or None
        Lines are first densified so no segment is longer than this
        (:func:`shapely.segmentize`); buildings and charge points snap to
        nodes, so this bounds the snapping error to about half of it. None
        keeps the vertices as they are.

    Returns
    -------
    StreetGraph
    """
    geoms = streets.geometry if isinstance(streets, gpd.GeoDataFrame) else streets
    parts = shapely.get_parts(np.asarray(geoms.values, dtype=object))
    parts = parts[~shapely.is_empty(parts)]
    parts = parts[shapely.get_type_id(parts) == 1]  # LineString
    if parts.size == 0:
        raise input_error("streets layer", "has no line geometries",
                          "give LineString/MultiLineString streets or leave `streets` out")
    if node_crossings:
        parts = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    if max_segment_m is not None:
        parts = shapely.segmentize(parts, max_segment_m)
    coords, line_idx = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / node_tolerance_m).astype(np.int64)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    xy = coords[first]
    a = np.flatnonzero(line_idx[1:] == line_idx[:-1])
    b = a + 1
    u0, v0 = inverse[a], inverse[b]
    w = np.hypot(*(coords[b] - coords[a]).T)
    keep = u0 != v0
    u0, v0, w = u0[keep], v0[keep], w[keep]
    u = np.minimum(u0, v0)
    v = np.maximum(u0, v0)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first_of_pair = np.ones(u.size, dtype=bool)
    first_of_pair[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return StreetGraph(xy=xy, u=u[first_of_pair], v=v[first_of_pair],
                       length_m=w[first_of_pair])


def nearest_distance_straight(geoms: gpd.GeoSeries, points: gpd.GeoSeries) -> np.ndarray:
    """Straight-line distance from each geometry to the nearest point.

    Parameters
    ----------
    geoms : GeoSeries
        Building footprints (any geometry type), metric CRS.
    points : GeoSeries
        Target points (e.g. public charge points), same CRS.

    Returns
    -------
    numpy.ndarray
        Distance in metres from the footprint's boundary (0 when the point is
        inside), one per geometry, in input order; NaN when there are no points.
    """
    n = len(geoms)
    out = np.full(n, np.nan)
    pts = np.asarray(points.values, dtype=object)
    if n == 0 or pts.size == 0:
        return out
    tree = shapely.STRtree(pts)
    idx, dist = tree.query_nearest(np.asarray(geoms.values, dtype=object),
                                   return_distance=True, all_matches=False)
    out[idx[0]] = dist
    return out


def _snap(graph: StreetGraph, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node of each geometry and the distance to it."""
    node_pts = shapely.points(graph.xy)
    if np.all(shapely.get_type_id(geoms) == 0):  # points: a k-d tree is faster
        d, i = cKDTree(graph.xy).query(shapely.get_coordinates(geoms))
        return np.asarray(i, dtype=np.int64), np.asarray(d, dtype=float)
    tree = shapely.STRtree(node_pts)
    idx, dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    node = np.empty(geoms.size, dtype=np.int64)
    snap = np.empty(geoms.size)
    node[idx[0]] = idx[1]
    snap[idx[0]] = dist
    return node, snap


def node_distance(graph: StreetGraph, points: np.ndarray, *,
                  limit: float = np.inf) -> np.ndarray:
    """Distance along the network from every street node to the nearest point.

    Each point becomes an extra node joined to its nearest street node by an
    edge as long as its snap distance; one multi-source Dijkstra search
    (:func:`scipy.sparse.csgraph.dijkstra`, ``min_only=True``) from all point
    nodes gives every street node its distance (``inf`` when unreachable or
    beyond ``limit``). Used by :func:`nearest_distance_network` and for the
    walking-distance area drawn on the map.

    Parameters
    ----------
    graph : StreetGraph
        The street graph.
    points : numpy.ndarray of shapely Points
        Source points (e.g. public charge points), same CRS; at least one.
    limit : float
        Stop the search beyond this distance (metres).

    Returns
    -------
    numpy.ndarray
        Distance in metres per street node (``graph.n_nodes`` values).
    """
    nn = graph.n_nodes
    p_node, p_snap = _snap(graph, points)
    m = points.size
    src = nn + np.arange(m)
    # Edges stored once (u < v); explicit zero weights (a point on a node) are
    # kept as edges by scipy's csgraph routines for sparse input.
    rows = np.concatenate([graph.u, src])
    cols = np.concatenate([graph.v, p_node])
    data = np.concatenate([graph.length_m, p_snap])
    g = sp.csr_matrix((data, (rows, cols)), shape=(nn + m, nn + m))
    dist = dijkstra(g, directed=False, indices=src, min_only=True, limit=limit)
    return np.asarray(dist[:nn], dtype=float)


def nearest_distance_network(geoms: gpd.GeoSeries, points: gpd.GeoSeries,
                             streets: gpd.GeoDataFrame | gpd.GeoSeries | StreetGraph, *,
                             node_tolerance_m: float = 0.01,
                             max_segment_m: float | None = 25.0) -> np.ndarray:
    """Distance along the street network from each geometry to the nearest point.

    Buildings and points are snapped to their nearest street node; the
    distance is ``snap(building) + network path + snap(point)``, minimised over
    all points by a single multi-source Dijkstra search: each point becomes an
    extra node joined to its street node by an edge as long as its snap
    distance, and :func:`scipy.sparse.csgraph.dijkstra` runs from all point
    nodes at once with ``min_only=True``.

    Parameters
    ----------
    geoms : GeoSeries
        Building footprints, metric CRS.
    points : GeoSeries
        Point geometries (public charge points), same CRS.
    streets : GeoDataFrame, GeoSeries or StreetGraph
        Street lines (or a graph already built by :func:`street_graph`).
    node_tolerance_m, max_segment_m : float
        Graph options when the graph is built here (see :func:`street_graph`).

    Returns
    -------
    numpy.ndarray
        Network distance in metres per geometry; NaN when there are no points or
        the building's street component holds no point.
    """
    n = len(geoms)
    out = np.full(n, np.nan)
    pts = np.asarray(points.values, dtype=object)
    if n == 0 or pts.size == 0:
        return out
    graph = streets if isinstance(streets, StreetGraph) else street_graph(
        streets, node_tolerance_m=node_tolerance_m, max_segment_m=max_segment_m)
    dist = node_distance(graph, pts)
    b_node, b_snap = _snap(graph, np.asarray(geoms.values, dtype=object))
    out[:] = b_snap + dist[b_node]
    out[~np.isfinite(out)] = np.nan
    return out


def place_chargers(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame, *,
                   target_coverage: float, walk_distance_m: float, kw: float,
                   connectors: int, max_new: int = 200,
                   streets: gpd.GeoDataFrame | gpd.GeoSeries | StreetGraph | None = None
                   ) -> gpd.GeoDataFrame:
    """Place new public charge points greedily until a coverage target is met.

    Maximal-coverage location by the greedy heuristic: candidate sites are
    the centroids of residential buildings (``residents > 0``); a building is
    covered when a public charge point lies within ``walk_distance_m``
    (straight line to its footprint, as in :func:`nearest_distance_straight`,
    or along ``streets`` as in :func:`nearest_distance_network` when given, so
    placement and the coverage indicator use the same distance).
    Buildings already covered by existing public charge points count as
    covered. Each step adds the candidate that covers the most still-uncovered
    residents (ties: lowest candidate index), until the share of covered
    residents reaches ``target_coverage``, ``max_new`` points have been placed,
    or no candidate adds coverage. A lazy priority queue keeps it fast
    (gains only shrink as coverage grows).

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings with ``residents`` (as returned by
        :func:`twin.mobility.estimate_mobility`), metric CRS.
    charging_points : GeoDataFrame
        Existing charge points with ``public``; only public ones count.
    target_coverage : float
        Share of residents (0-1) to be within walking distance.
    walk_distance_m : float
        Walking distance in metres.
    kw, connectors : float, int
        Power and connector count given to each new point.
    max_new : int
        Upper bound on new points.
    streets : GeoDataFrame, GeoSeries or StreetGraph, optional
        Street network for walking distances.

    Returns
    -------
    GeoDataFrame
        Only the new points: ``charger_id`` (``new-001`` ...), ``kw``,
        ``connectors``, ``public`` (True), Point geometry, the buildings' CRS.
        Empty when the target is already met.
    """
    where = "place_chargers"
    if not 0.0 <= target_coverage <= 1.0:
        raise input_error(where, f"target_coverage {target_coverage} is outside 0-1",
                          "give a share between 0 and 1", column="target_coverage")
    if not walk_distance_m > 0:
        raise input_error(where, f"walk_distance_m {walk_distance_m} is not positive",
                          "give a distance in metres > 0", column="walk_distance_m")
    if "residents" not in buildings.columns:
        raise input_error(where, "buildings have no `residents` column",
                          "run twin.mobility.estimate_mobility first", column="residents")
    res = pd.to_numeric(buildings["residents"], errors="coerce").fillna(0.0).to_numpy(float)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    total = float(res.sum())

    def empty() -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"charger_id": pd.Series([], dtype=object), "kw": pd.Series([], dtype=float),
             "connectors": pd.Series([], dtype="int64"), "public": pd.Series([], dtype=bool)},
            geometry=gpd.GeoSeries([], crs=buildings.crs), crs=buildings.crs)

    if total <= 0:
        return empty()
    public = charging_points[_public_mask(charging_points)] if len(charging_points) else charging_points
    if streets is None:
        d0 = nearest_distance_straight(buildings.geometry, public.geometry)
    else:
        graph = streets if isinstance(streets, StreetGraph) else street_graph(streets)
        d0 = nearest_distance_network(buildings.geometry, public.geometry, graph)
    covered = np.nan_to_num(d0, nan=np.inf) <= walk_distance_m
    got = float(res[covered].sum())
    cand_b = np.flatnonzero(res > 0)
    if got / total >= target_coverage or cand_b.size == 0:
        return empty()
    cand_pts = shapely.centroid(geoms[cand_b])
    if streets is None:
        tree = shapely.STRtree(geoms)
        ci, bi = tree.query(cand_pts, predicate="dwithin", distance=walk_distance_m)
    else:
        ci, bi = _network_pairs(graph, cand_pts, geoms, walk_distance_m)
    keep = ~covered[bi]
    ci, bi = ci[keep], bi[keep]
    order = np.argsort(ci, kind="stable")
    ci, bi = ci[order], bi[order]
    ptr = np.searchsorted(ci, np.arange(cand_b.size + 1))
    heap = [(-float(res[bi[ptr[c]:ptr[c + 1]]].sum()), int(c)) for c in range(cand_b.size)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < max_new and got / total < target_coverage:
        neg_gain, c = heapq.heappop(heap)
        members = bi[ptr[c]:ptr[c + 1]]
        gain = float(res[members[~covered[members]]].sum())
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12 * total:  # stale: push back with new gain
            heapq.heappush(heap, (-gain, c))
            continue
        chosen.append(c)
        covered[members] = True
        got += gain
    if not chosen:
        return empty()
    k = len(chosen)
    width = max(3, len(str(k)))
    return gpd.GeoDataFrame(
        {"charger_id": [f"new-{i + 1:0{width}d}" for i in range(k)],
         "kw": np.full(k, float(kw)),
         "connectors": np.full(k, int(connectors), dtype="int64"),
         "public": np.ones(k, dtype=bool)},
        geometry=gpd.GeoSeries(cand_pts[np.asarray(chosen)], crs=buildings.crs),
        crs=buildings.crs)


def _network_pairs(graph: StreetGraph, cand_pts: np.ndarray, geoms: np.ndarray,
                   walk_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(candidate, building) pairs within a walking distance along the street graph.

    Distance = snap(candidate) + network path + snap(building), as in
    :func:`nearest_distance_network`. Dijkstra runs from the candidates' nodes
    in chunks, each search bounded by the walking distance.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    c_node, c_snap = _snap(graph, cand_pts)
    b_node, b_snap = _snap(graph, geoms)
    nn = graph.n_nodes
    adj = coo_matrix((graph.length_m, (graph.u, graph.v)), shape=(nn, nn)).tocsr()
    chunk = max(1, int(2_000_000 // max(1, geoms.size)))
    ci_out, bi_out = [], []
    for start in range(0, cand_pts.size, chunk):
        idx = np.arange(start, min(start + chunk, cand_pts.size))
        dist = dijkstra(adj, directed=False, indices=c_node[idx], limit=walk_distance_m)
        total = dist[:, b_node] + b_snap[None, :] + c_snap[idx, None]
        r, b = np.nonzero(total <= walk_distance_m)
        ci_out.append(idx[r])
        bi_out.append(b)
    return np.concatenate(ci_out), np.concatenate(bi_out)


def _public_mask(charging_points: pd.DataFrame) -> np.ndarray:
    """Boolean mask of public charge points (missing ``public`` column: all public)."""
    if "public" not in charging_points.columns:
        return np.ones(len(charging_points), dtype=bool)
    col = charging_points["public"]
    if col.dtype == bool:
        return col.to_numpy()
    text = col.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "ja", "1.0"]).to_numpy()
