"""Water depth on the map: the per-cell raster as an inlined PNG, and depth statistics.

The flood screening gives a water depth per DEM cell (``Result.water_depth``).
Painting each low-lying area in the colour of its deepest cell overstates
the depth of most of it; the map draws the cells themselves: the depth raster
is warped to Web Mercator (the map's projection, nearest neighbour), coloured
by the depth classes of ``classes.csv`` and inlined as a base64 PNG
``L.imageOverlay`` (works offline). Dry cells are transparent.
"""

from __future__ import annotations

import base64
import io

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import calculate_default_transform, reproject
from scipy import ndimage

from twin.maps._style import Classes
from twin.raster import Raster

#: Largest side of the overlay image (px); larger rasters are resampled coarser.
MAX_SIDE_PX = 2048
#: Opacity of the coloured water cells.
ALPHA = 200


def depth_stats(depressions: gpd.GeoDataFrame, water_depth: Raster | None) -> pd.DataFrame:
    """Median (typical) water depth of the wet cells of each depression.

    Parameters
    ----------
    depressions : GeoDataFrame
        Depression polygons in the raster's CRS.
    water_depth : Raster or None
        Water depth per cell (NaN or 0 where dry).

    Returns
    -------
    DataFrame
        ``water_depth_median_m`` and ``wet_area_m2`` per depression (index of
        ``depressions``); NaN without a raster or wet cells.
    """
    out = pd.DataFrame({"water_depth_median_m": np.nan, "wet_area_m2": np.nan},
                       index=depressions.index)
    if water_depth is None or len(depressions) == 0:
        return out
    geoms = depressions.geometry.values
    shapes = [(g, i + 1) for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    if not shapes:
        return out
    labels = rasterize(shapes, out_shape=water_depth.shape, transform=water_depth.transform,
                       fill=0, dtype="int32")
    depth = water_depth.data
    wet = np.isfinite(depth) & (depth > 0)
    labels = np.where(wet, labels, 0)
    idx = np.arange(1, len(geoms) + 1)
    counts = np.bincount(labels.ravel(), minlength=len(geoms) + 1)[1:]
    med = np.asarray(ndimage.median(np.where(wet, depth, 0.0), labels, idx), dtype=float)
    med[counts == 0] = np.nan
    out["water_depth_median_m"] = med
    out["wet_area_m2"] = np.where(counts > 0, counts * water_depth.cell_area_m2, np.nan)
    return out


def depth_png(water_depth: Raster, classes: Classes) -> tuple[str, list[list[float]]] | None:
    """The wet cells as a coloured PNG (data URL) and its ``[[south, west], [north, east]]``.

    None when no cell is wet.
    """
    depth = np.where(np.isfinite(water_depth.data), water_depth.data, 0.0)
    rows = np.flatnonzero((depth > 0).any(axis=1))
    cols = np.flatnonzero((depth > 0).any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = depth[r0:r1, c0:c1].astype("float32")
    tr = water_depth.transform
    x0, y0 = tr @ (c0, r0)
    x1, y1 = tr @ (c1, r1)
    left, right, bottom, top = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    src_tr = tr @ Affine.translation(c0, r0)
    dst_tr, w, h = calculate_default_transform(water_depth.crs, "EPSG:3857", sub.shape[1],
                                               sub.shape[0], left, bottom, right, top)
    scale = max(w, h) / MAX_SIDE_PX
    if scale > 1:
        w, h = int(np.ceil(w / scale)), int(np.ceil(h / scale))
        dst_tr = dst_tr @ dst_tr.scale(scale, scale)
    dst = np.zeros((h, w), dtype="float32")
    reproject(sub, dst, src_transform=src_tr, src_crs=water_depth.crs, dst_transform=dst_tr,
              dst_crs="EPSG:3857", resampling=Resampling.nearest, src_nodata=0.0, dst_nodata=0.0)
    idx = classes.classify(dst.ravel()).reshape(dst.shape)
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in classes.colours],
                       dtype=np.uint8)
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    wet = dst > 0
    rgba[..., :3] = palette[np.clip(idx, 0, len(palette) - 1)]
    rgba[..., 3] = np.where(wet, ALPHA, 0)
    from PIL import Image

    buf = io.BytesIO()
    # zlib level 6 without the optimiser: 7x faster than optimize=True for 18 % more bytes
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", compress_level=6)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    mx0, my0 = dst_tr @ (0, 0)
    mx1, my1 = dst_tr @ (w, h)
    to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(min(mx0, mx1), min(my0, my1))
    lon1, lat1 = to_ll.transform(max(mx0, mx1), max(my0, my1))
    return url, [[float(lat0), float(lon0)], [float(lat1), float(lon1)]]
