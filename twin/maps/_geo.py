"""Geometry for display: simplify in metres, reproject, round, serialise.

Display geometry is simplified in the layer's metric CRS (tolerance from
``classes.csv``), reprojected to EPSG:4326 and rounded, then written as
GeoJSON text directly (one ``shapely.to_geojson`` call for all features).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely

from twin._errors import input_error
from twin.maps._page import RawJSON
from twin.maps._style import param


def display_geometry(gdf: gpd.GeoDataFrame, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Simplified, EPSG:4326, rounded geometries and the positions kept.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer with a CRS.
    where : str
        Layer name for error messages.

    Returns
    -------
    geoms : ndarray of shapely geometries
        Display geometries (non-empty).
    keep : ndarray of int
        Row positions in ``gdf`` of the geometries returned.
    """
    if gdf.crs is None:
        raise input_error(f"result layer {where}", "layer has no CRS",
                          "set one with `gdf.set_crs('EPSG:25833')`")
    geoms = gdf.geometry.values
    keep = np.flatnonzero(~(geoms.isna() | geoms.is_empty))
    gs = gpd.GeoSeries(geoms[keep], crs=gdf.crs)
    if not gs.crs.is_geographic:
        gs = gs.simplify(param("simplify_tolerance_m"), preserve_topology=True)
    gs = gs.to_crs("EPSG:4326")
    dec = int(param("coord_decimals"))
    arr = shapely.transform(np.asarray(gs.values, dtype=object), lambda c: np.round(c, dec))
    return arr, keep


def feature_collection(geoms: np.ndarray, props: list[dict]) -> RawJSON:
    """A GeoJSON FeatureCollection as :class:`RawJSON` (escaped when the page is written)."""
    gj = shapely.to_geojson(geoms)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    body = ",".join(
        '{"type":"Feature","geometry":' + g + ',"properties":' + dumps(p) + "}"
        for g, p in zip(gj, props, strict=True))
    return RawJSON('{"type":"FeatureCollection","features":[' + body + "]}")


def bounds_latlon(geoms: np.ndarray) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of display geometries, None if empty."""
    if len(geoms) == 0:
        return None
    w, s, e, n = shapely.total_bounds(geoms)
    return [[float(s), float(w)], [float(n), float(e)]]
