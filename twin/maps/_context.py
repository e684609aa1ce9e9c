"""Offline context for maps without tiles: the sea from the terrain model, street names.

An offline map has no basemap tiles; residents need the shore and their
street's name to find their home. The sea is taken from the DEM: cells at or
below the sea level (``sea_level_m`` in ``classes.csv``) that are connected
to the edge of the DEM (an inland hollow below sea level is not sea). Street
names are placed once per name, at the middle of the longest street line of
that name.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from rasterio.features import shapes
from scipy import ndimage

from twin.maps._style import param
from twin.raster import Raster


def sea_area(dem: Raster, *, level_m: float | None = None) -> gpd.GeoDataFrame:
    """Polygons of the sea: DEM cells at or below sea level connected to the DEM's edge.

    Parameters
    ----------
    dem : Raster
        Terrain model in metres above the height datum (NN2000 etc.).
    level_m : float, optional
        Sea level (default ``sea_level_m`` from ``classes.csv``).

    Returns
    -------
    GeoDataFrame
        One row per sea polygon (none when the DEM has no sea).
    """
    level = param("sea_level_m") if level_m is None else float(level_m)
    low = np.isfinite(dem.data) & (dem.data <= level)
    labels, n = ndimage.label(low)
    if n == 0:
        return gpd.GeoDataFrame(geometry=[], crs=dem.crs)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    sea = np.isin(labels, edge[edge > 0])
    if not sea.any():
        return gpd.GeoDataFrame(geometry=[], crs=dem.crs)
    polys = [shapely.geometry.shape(g) for g, v in
             shapes(sea.astype("uint8"), mask=sea, transform=dem.transform) if v == 1]
    return gpd.GeoDataFrame(geometry=polys, crs=dem.crs)


def street_label_points(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per street name: the middle of the longest line of that name.

    The points come longest street (all its lines) first: the map keeps those labels when
    labels would overlap.

    Returns
    -------
    GeoDataFrame
        ``name`` and a Point per named street (empty without a ``name`` column).
    """
    if "name" not in streets.columns or len(streets) == 0:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=streets.crs)
    s = streets[streets["name"].notna()]
    s = s[s["name"].astype(str).str.strip() != ""]
    if len(s) == 0:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=streets.crs)
    lengths = s.geometry.length
    by_name = lengths.groupby(s["name"].astype(str).str.strip())
    longest = by_name.idxmax()
    longest = longest.iloc[np.argsort(-by_name.sum().loc[longest.index].to_numpy(), kind="stable")]
    lines = s.loc[longest.to_numpy()].geometry
    pts = shapely.line_interpolate_point(
        shapely.line_merge(np.asarray(lines.values, dtype=object)), 0.5, normalized=True)
    return gpd.GeoDataFrame({"name": longest.index.to_list()}, geometry=list(pts), crs=streets.crs)
