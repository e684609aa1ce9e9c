"""The area within walking distance of a public charger, as the model measures it.

The charger-coverage indicator (:func:`twin.mobility.charger_coverage_share`)
counts a building as covered when ``snap + network distance`` from its
nearest street node to the nearest public charger is within the walking
distance (:func:`twin.charging.nearest_distance_network`). The area drawn is
the set of points that rule counts as covered: the union, over the street
nodes the same Dijkstra search reaches, of the node's Voronoi cell (the
points whose nearest node it is) cut to a disc of the distance left at that
node (``walk - d(node)``). A point building is inside exactly when the model
counts it as covered; a footprint that the model counts touches the area.
Without streets the model measures in a straight line, and the area is the
union of discs of the walking distance around the chargers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from twin.charging import _public_mask, node_distance, street_graph

#: Segments per quarter circle of the discs (display only).
_QUAD_SEGS = 6


def service_area(chargers: gpd.GeoDataFrame, walk_m: float,
                 streets: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Polygon of the area within ``walk_m`` of a public charger along the streets.

    Parameters
    ----------
    chargers : GeoDataFrame
        Charging points (``public`` column; all public when absent), metric CRS.
    walk_m : float
        Walking distance (m) of the coverage indicator.
    streets : GeoDataFrame, optional
        Street lines the mobility model measured along; None = straight line.

    Returns
    -------
    GeoDataFrame
        One (Multi)Polygon row (empty frame when there is no public charger).
    """
    crs = chargers.crs
    if len(chargers) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=crs)
    pts = np.asarray(chargers.geometry.values[_public_mask(chargers)], dtype=object)
    pts = pts[~(shapely.is_missing(pts) | shapely.is_empty(pts))] if pts.size else pts
    if pts.size == 0:
        return gpd.GeoDataFrame(geometry=[], crs=crs)
    if streets is not None and len(streets):
        graph = street_graph(streets)
        dist = node_distance(graph, pts, limit=walk_m)
        ok = np.flatnonzero(dist < walk_m)
        nodes = shapely.points(graph.xy)
        discs = shapely.buffer(nodes[ok], walk_m - dist[ok], quad_segs=_QUAD_SEGS)
        if graph.n_nodes > 1:
            box = shapely.box(*shapely.total_bounds(discs)).buffer(walk_m)
            cells = shapely.get_parts(shapely.voronoi_polygons(
                shapely.multipoints(nodes), extend_to=box, ordered=True))
            discs = shapely.intersection(cells[ok], discs)
    else:
        discs = shapely.buffer(pts, float(walk_m), quad_segs=_QUAD_SEGS)
    area = shapely.union_all(discs)
    return gpd.GeoDataFrame(geometry=[area], crs=crs)
