"""Cloudburst flood screening: depressions (bluespots), fill-spill-merge, basins, buildings.

The method is the Nordic bluespot screening (Balstrøm & Crawford 2018, the
Danish tool *malstroem*; SCALGO Live's flash-flood map) without a time
dimension:

1. **Fill** the DEM (the surface of Priority-Flood, Barnes, Lehman & Mulla
   2014, computed as a grayscale reconstruction in the manner of Vincent's
   1993 hybrid algorithm: raster scans, then a priority queue for the rest);
   the raster edge and nodata cells are outlets, 8-connectivity. The kernel
   (:func:`flood_keys`) is shared with the tiled fill of DEMs larger than
   memory (:mod:`twin.flood_tiled`, Barnes 2016), which gives the same
   surface, depressions and building exposure tile by tile.
2. **Depressions** are the 8-connected regions where ``filled - dem > 0``;
   each has one spill elevation (its filled level), a pour point on its rim
   and a downstream depression (or ``-1`` when the overflow leaves the area).
   Inside every depression a *depression hierarchy* (Barnes, Callaghan &
   Wickert 2020) records the nested sub-depressions, the saddle where they
   merge and their volume at that level.
3. **Rain** (uniform, ``rain_mm``) becomes runoff by surface (roofs from the
   building footprints, paved/green/default from ``runoff_coefficients.csv``,
   or 1.0 everywhere with ``uniform_runoff``). Every cell drains by D8
   steepest descent on the filled surface to a depression, a basin or out of
   the area (its *local watershed*). **Fill-spill-merge** (Barnes, Callaghan &
   Wickert 2021): each sub-depression fills to its saddle, overflows into its
   sibling, the two merge and fill together; a full depression passes its
   overflow to the downstream depression. Water levels of partly filled
   depressions come from their hypsometry (volume-vs-level curve, exact for
   the cells).
4. **Basins** (``basin_id``, ``volume_m3`` or ``depth_m``) store up to their
   volume of the runoff that reaches them and pass the rest on. A basin
   lying in a depression is attached to the smallest sub-depression holding
   its depression cells and takes every inflow into it first (the runoff of
   its local watershed, spill from a sibling, overflow from upstream) before
   the depression fills. A basin elsewhere catches the runoff whose D8 path
   on the filled surface passes any of its cells (its contributing area,
   its own cells included) and, once full, passes each stream on along its
   own path (in proportion), so adding a basin never sends more water to
   any depression.
5. **Buildings** get ``flood_depth_m`` (deepest water on or within
   ``building_buffer_m`` of the footprint) and ``in_low_lying_area`` (the
   footprint touches a reported depression). Without rain, ``flood_depth_m``
   is the depth of the *filled* depression, i.e. the worst case when every
   depression is full.

Water balance: ``rain_m3 = stored_m3 + basin_m3 + outflow_m3 + loss_m3``,
where ``loss_m3`` is the rain that does not run off (``1 - coefficient``;
zero with ``uniform_runoff``, the default). ``outflow_direct_m3`` (part of
``outflow_m3``) is the runoff of cells that drain out of the area without
passing a depression or basin. Sea in the DEM (e.g. Fornebu's constant
-1.0 m) is a flat that drains to the raster edge, so rain on it is counted
there, never as runoff into land depressions; give the sea as nodata to
leave it out of ``rain_m3`` altogether. Depressions below ``min_depth_m``,
``min_area_m2`` or ``min_volume_m3`` are left out of the reported table and of
``in_low_lying_area`` but still store water in the routing, so the balance
is exact.
"""

from __future__ import annotations

import copy
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from twin import _flood_kernels as _k
from twin._errors import input_error
from twin.raster import Raster

_PARAMS = Path(__file__).parent / "params"


def _read_params() -> dict[str, float]:
    with open(_PARAMS / "flood_params.csv", newline="", encoding="utf-8") as fh:
        return {row["name"]: float(row["value"]) for row in csv.DictReader(fh)}


def _read_runoff() -> dict[str, float]:
    with open(_PARAMS / "runoff_coefficients.csv", newline="", encoding="utf-8") as fh:
        return {row["surface"]: float(row["coefficient"]) for row in csv.DictReader(fh)}


_P = _read_params()
#: passes of the routing loop: the overflow graph has no cycles (depressions that fill
#: to the same level pass their overflow to a member with an exit, see
#: ``_flood_kernels.pour_points``), so one pass suffices; the rest is a safety net
_MAX_PASSES = 50
_C = _read_runoff()


@dataclass(frozen=True)
class FloodParams:
    """Parameters of the screening; defaults from ``twin/params/flood_params.csv``
    and ``twin/params/runoff_coefficients.csv`` (each with its source).

    Parameters
    ----------
    min_depth_m, min_area_m2, min_volume_m3 : float
        A depression is reported when its maximum depth, area and volume are
        all at least these values.
    runoff_roof, runoff_paved, runoff_green, runoff_default : float
        Runoff coefficients (share of rain that runs off) of roofs (building
        footprints), paved areas (``paved`` layer), green areas (``green``
        layer) and every other cell.
    uniform_runoff : bool
        All rain runs off everywhere (coefficient 1.0). Default ``True``: for
        a cloudburst the Nordic bluespot screening (Balstrøm & Crawford 2018;
        SCALGO Live) assumes all rain runs off; the surface coefficients
        (Svenskt Vatten P110: lawns 0.1) are for ordinary design rains. Set
        ``False`` to use them.
    flooded_depth_m : float
        A building counts as flooded when ``flood_depth_m`` is greater than this.
    building_buffer_m : float
        Water within this distance of a footprint counts as "right next to" it.
    max_memory_gb, bytes_per_cell : float
        In-memory limit used by :func:`twin.flood_io.run_flood`.
    """

    min_depth_m: float = _P["min_depth_m"]
    min_area_m2: float = _P["min_area_m2"]
    min_volume_m3: float = _P["min_volume_m3"]
    runoff_roof: float = _C["roof"]
    runoff_paved: float = _C["paved"]
    runoff_green: float = _C["green"]
    runoff_default: float = _C["default"]
    uniform_runoff: bool = bool(_P["uniform_runoff"])
    flooded_depth_m: float = _P["flooded_depth_m"]
    building_buffer_m: float = _P["building_buffer_m"]
    max_memory_gb: float = _P["max_memory_gb"]
    bytes_per_cell: float = _P["bytes_per_cell"]


@dataclass(frozen=True)
class FloodResult:
    """Result of :func:`screen`.

    Attributes
    ----------
    filled : numpy.ndarray
        Depression-filled DEM (float64, NaN = nodata).
    depressions : geopandas.GeoDataFrame
        One (multi)polygon per reported depression: ``depression_id,
        area_m2, max_depth_m, volume_m3, spill_elev_m, pour_x, pour_y,
        watershed_area_m2, downstream_id`` (-1 when the overflow leaves the
        area) and, after rain, ``water_volume_m3, water_level_m,
        water_depth_max_m, filled_share``.
    water_depth : numpy.ndarray | None
        Water depth (m) after the rain; ``None`` without rain.
    buildings : geopandas.GeoDataFrame | None
        Copy of the input with ``flood_depth_m`` and ``in_low_lying_area``.
    balance : dict
        ``rain_m3, runoff_m3, loss_m3, stored_m3, basin_m3, outflow_m3,
        outflow_direct_m3, fill_volume_m3`` (m3).
    basins : pandas.DataFrame | None
        Per basin: ``basin_id, capacity_m3, inflow_m3, stored_m3, overflow_m3``.
    flooded_buildings : int
        Buildings with ``flood_depth_m > flooded_depth_m`` (strictly deeper, as in the indicators).
    """

    filled: np.ndarray
    depressions: gpd.GeoDataFrame
    water_depth: np.ndarray | None = None
    buildings: gpd.GeoDataFrame | None = None
    balance: dict[str, float] = field(default_factory=dict)
    basins: pd.DataFrame | None = None
    flooded_buildings: int = 0


# --------------------------------------------------------------------------- filling
def _padded(dem: np.ndarray, nodata: float | None) -> np.ndarray:
    dem = np.asarray(dem)
    if dem.ndim != 2:
        msg = f"'dem' should be a 2-D array, got {dem.ndim} dimensions"
        raise ValueError(msg)
    if dem.dtype == np.float64 and (nodata is None or np.isnan(nodata)):
        return _k.pad_nan(dem)
    pad = np.full((dem.shape[0] + 2, dem.shape[1] + 2), np.nan)
    pad[1:-1, 1:-1] = dem
    if nodata is not None and not np.isnan(nodata):
        inner = pad[1:-1, 1:-1]
        inner[dem == nodata] = np.nan
    pad[np.isinf(pad)] = np.nan
    return pad


def fill_depressions(dem: np.ndarray, nodata: float | None = None) -> np.ndarray:
    """Fill every depression of a DEM to its spill level.

    The result is the surface of Priority-Flood (Barnes, Lehman & Mulla 2014,
    "Priority-Flood: an optimal depression-filling and watershed-labeling
    algorithm for digital elevation models", Computers & Geosciences
    62:117-127): every cell at the lowest level over all paths to an outlet
    of the highest cell on the path. It is computed as the grayscale
    reconstruction by erosion of the DEM from its outlets with the hybrid
    algorithm of Vincent (1993, IEEE Trans. Image Processing 2(2):176-201),
    as topotoolbox's ``fillsinks(hybrid=True)`` does: forward and backward
    raster scans settle most cells; the rest is flooded in priority order
    from the cells the scans leave unsettled (a heap and a stack, each cell
    lowered once, where Vincent and topotoolbox use a FIFO queue)
    (:func:`twin._flood_kernels.fill_core`, the one kernel of the in-memory
    and the tiled fill), on order-preserving integer keys of the float32
    values. The fill only compares elevations, so a DEM whose values are not
    all float32 is filled through their ranks (:func:`rank_surrogate`), with
    the same kernel; the result is exact (bit for bit that of any exact
    Priority-Flood).

    Parameters
    ----------
    dem : numpy.ndarray
        2-D elevations.
    nodata : float, optional
        Value marking nodata cells (NaN and +-inf always do).

    Returns
    -------
    numpy.ndarray
        float64, same shape; nodata cells are NaN. The raster edge and cells
        next to nodata (8-connectivity) are outlets, so their value is kept.

    Examples
    --------
    >>> import numpy as np
    >>> fill_depressions(np.array([[3., 3, 3], [3, 1, 3], [3, 3, 3]]))[1, 1]
    3.0
    """
    arr = np.asarray(dem)
    if arr.ndim != 2:
        msg = f"'dem' should be a 2-D array, got {arr.ndim} dimensions"
        raise ValueError(msg)
    if arr.size == 0:
        return np.empty(arr.shape)
    if (arr.shape[0] + 2) * (arr.shape[1] + 2) >= 2**31:
        msg = f"a {arr.shape} DEM has more than 2**31 cells: fill it in tiles (twin.flood_tiled.fill_tiled)"
        raise ValueError(msg)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    filled, _, _ = flood_keys(arr, nodata, label=False)
    return filled


def flood_keys(arr: np.ndarray, nodata: float | None, *,
               label: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the fill kernel (:func:`twin._flood_kernels.fill_core`) on a float32/float64 grid.

    The raster edge and cells next to nodata are the seeds (outlets).

    Parameters
    ----------
    arr : numpy.ndarray
        2-D float32 or float64 elevations (fewer than 2**31 cells padded).
    nodata : float, optional
        Nodata value (NaN and +-inf always are).
    label : bool
        Also return the watershed label of every cell: the seeds are
        numbered ``1, 2, ...`` in raster order of the padded grid and every
        other cell takes the label of a seed joined to it by a path of cells
        whose filled level is not above its own (the seed whose flood reached
        it; 0 for nodata). Where several seeds qualify (ties) which one is
        taken is up to the kernel.

    Returns
    -------
    filled : numpy.ndarray
        float64 filled surface, NaN = nodata.
    labels : numpy.ndarray
        int32 labels of the padded grid (``(nr + 2) * (nc + 2)``, flat), or
        an empty array without ``label``.
    seeds : numpy.ndarray
        With ``label``, the flat padded index of the seed of label ``k`` at
        ``seeds[k - 1]``; otherwise empty.
    """
    has_nd = nodata is not None and not np.isnan(nodata)
    ndv = float(arr.dtype.type(nodata)) if has_nd else 0.0
    arr = np.ascontiguousarray(arr)  # one compiled layout per dtype (a view would compile another)
    w, exact = _k.keys_padded(arr, has_nd, ndv)
    values = None
    if not exact:
        del w
        arr, values = rank_surrogate(arr, nodata)
        w, exact = _k.keys_padded(arr, False, 0.0)
    lab = np.zeros(w.shape[0] if label else 0, dtype=np.int32)
    seeds = _k.fill_core(w, arr.shape[0], arr.shape[1], lab)
    filled = _k.filled_from_keys(w, arr.shape[0], arr.shape[1])
    del w
    if values is not None:
        filled = from_rank_surrogate(filled, values)
    return filled, lab, seeds


#: the float32 keys of :func:`twin._flood_kernels.keys_padded` of the
#: negative finite floats run from 0x00800000 (-max float) to 0x7FFFFFFF (-0.0)
_RANK0 = 0x00800000


def rank_surrogate(arr: np.ndarray, nodata: float | None) -> tuple[np.ndarray, np.ndarray]:
    """float32 stand-ins that order like ``arr`` and the sorted distinct values.

    The i-th smallest distinct valid value becomes the negative float32 whose
    key (see :func:`twin._flood_kernels.keys_padded`) is ``0x00800000 + i``,
    so any DEM (float64 values, integers) is filled by the float32 kernel;
    :func:`from_rank_surrogate` maps the result back.
    """
    a = np.asarray(arr, dtype=np.float64)
    valid = np.isfinite(a)
    if nodata is not None and not np.isnan(nodata):
        valid &= a != nodata
    values, inv = np.unique(a[valid], return_inverse=True)
    bits = np.zeros(a.shape, dtype=np.uint32)
    bits[valid] = ~(np.uint32(_RANK0) + inv.astype(np.uint32))
    out = bits.view(np.float32)
    out[~valid] = np.nan
    return out, values


def from_rank_surrogate(filled: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values behind the float32 stand-ins of :func:`rank_surrogate` (NaN stays NaN)."""
    ok = ~np.isnan(filled)
    rank = ~filled[ok].astype(np.float32).view(np.uint32) - np.uint32(_RANK0)
    out = np.full(filled.shape, np.nan)
    out[ok] = values[rank]
    return out


# --------------------------------------------------------------------------- helpers
def _rasterize_index(gdf: gpd.GeoDataFrame | None, dem: Raster, *, all_touched: bool) -> np.ndarray:
    """int32 raster of row positions (0..n-1) of ``gdf``; -1 elsewhere.

    Polygons are burnt by the cell-centre rule (a numba scanline kernel, ~30x
    faster than ``rasterio.features.rasterize`` for 100k footprints); with
    ``all_touched`` a polygon that covers no cell centre still gets the cell
    under its representative point, so small sheds and basins are not lost.
    """
    import shapely

    out = np.full(dem.shape, -1, dtype=np.int32)
    if gdf is None or len(gdf) == 0:
        return out
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))
    parts, owner = shapely.get_parts(geoms[ok & polys], return_index=True)
    owner = np.flatnonzero(ok & polys)[owner]
    if len(parts):
        _, coords, (ring_off, poly_off) = shapely.to_ragged_array(parts)
        inv = ~dem.transform
        px = inv.a * coords[:, 0] + inv.b * coords[:, 1] + inv.c
        py = inv.d * coords[:, 0] + inv.e * coords[:, 1] + inv.f
        _k.rasterize_polygons(px, py, ring_off.astype(np.int64), poly_off.astype(np.int64),
                              owner.astype(np.int32), dem.shape[0], dem.shape[1], out)
    if all_touched:
        seen = np.zeros(len(gdf), dtype=bool)
        seen[out[out >= 0]] = True
        miss = np.flatnonzero(ok & ~seen)
        if len(miss):
            pts = shapely.point_on_surface(geoms[miss])
            cols, rows = _apply(~dem.transform, shapely.get_x(pts), shapely.get_y(pts))
            rows = np.floor(rows).astype(np.int64)
            cols = np.floor(cols).astype(np.int64)
            inside = (rows >= 0) & (rows < dem.shape[0]) & (cols >= 0) & (cols < dem.shape[1])
            out[rows[inside], cols[inside]] = miss[inside]
    return out


def _apply(t: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def _check_layer(gdf: Any, name: str, dem: Raster) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"'{name}' should be a GeoDataFrame, got {type(gdf)}"
        raise TypeError(msg)
    if gdf.crs is None:
        raise input_error(f"layer {name}", "the layer has no CRS", "set it with `gdf.set_crs(...)`")
    if not gdf.crs.equals(dem.crs):
        raise input_error(f"layer {name}", f"the layer CRS ({gdf.crs.name}) differs from the DEM's ({dem.crs.name})",
                          "reproject it with `to_crs()`")
    return gdf


def _basin_capacity(basins: gpd.GeoDataFrame) -> np.ndarray:
    if "basin_id" not in basins.columns:
        raise input_error("layer basins", "column 'basin_id' is missing", "add a unique basin_id",
                          column="basin_id")
    vol = basins["volume_m3"].to_numpy(dtype="float64", na_value=np.nan) if "volume_m3" in basins else \
        np.full(len(basins), np.nan)
    if "depth_m" in basins.columns:
        by_depth = basins["depth_m"].to_numpy(dtype="float64", na_value=np.nan) * basins.geometry.area.to_numpy()
        vol = np.where(np.isnan(vol), by_depth, vol)
    bad = np.flatnonzero(~np.isfinite(vol) | (vol < 0))
    if len(bad):
        raise input_error("layer basins", "needs a non-negative volume_m3 (or depth_m)",
                          "fill in volume_m3 or depth_m", row=basins["basin_id"].iloc[bad[0]],
                          column="volume_m3")
    return vol


def _runoff_coefficient(shape: tuple[int, int], dem: Raster, buildings: gpd.GeoDataFrame | None,
                        paved: gpd.GeoDataFrame | None, green: gpd.GeoDataFrame | None,
                        params: FloodParams) -> np.ndarray:
    if params.uniform_runoff:
        return np.ones(shape)
    coef = np.full(shape, params.runoff_default)
    for layer, value in ((green, params.runoff_green), (paved, params.runoff_paved),
                         (buildings, params.runoff_roof)):
        if layer is not None and len(layer):
            coef[_rasterize_index(layer, dem, all_touched=False) >= 0] = value
    return coef


def _max_filter(a: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return a
    from scipy.ndimage import maximum_filter

    return maximum_filter(a, size=2 * radius + 1, mode="constant", cval=0.0)


# --------------------------------------------------------------------------- screening
def screen(dem: Raster, *, buildings: gpd.GeoDataFrame | None = None,
           basins: gpd.GeoDataFrame | None = None, rain_mm: float | None = None,
           paved: gpd.GeoDataFrame | None = None, green: gpd.GeoDataFrame | None = None,
           params: FloodParams = FloodParams(), terrain: dict | None = None) -> FloodResult:
    """Screen a DEM for cloudburst flooding: depressions, a rain event, basins, buildings.

    The steps: :func:`_check_inputs`, :func:`_find_depressions` (fill and
    label), :func:`_depression_graph` (hierarchy, flow terminals, pour points,
    basins), :func:`_depression_stats`, :func:`_route_rain` (fill-spill-merge
    and water depth), :func:`_depression_table` and :func:`_exposure`.

    Parameters
    ----------
    dem : twin.raster.Raster
        Elevations in metres (NaN = nodata), metric CRS.
    buildings : geopandas.GeoDataFrame, optional
        Footprints (any columns) in the DEM's CRS; they get ``flood_depth_m``
        and ``in_low_lying_area`` and act as roofs for the runoff.
    basins : geopandas.GeoDataFrame, optional
        Rain-water basins: ``basin_id`` and ``volume_m3`` (or ``depth_m``).
    rain_mm : float, optional
        Uniform rain (mm). Without it only the depressions are analysed.
    paved, green : geopandas.GeoDataFrame, optional
        Surface polygons for the runoff coefficients.
    params : FloodParams
        Thresholds and coefficients.
    terrain : dict, optional
        A cache for the steps that depend on the DEM alone (:func:`_terrain`),
        shared by the screenings of one run (scenarios that change the
        buildings, basins or rain but not the terrain).

    Returns
    -------
    FloodResult
    """
    buildings, basins = _check_inputs(dem, rain_mm, buildings, basins, paved, green)
    s, terrain_graph = _terrain(dem, terrain)
    g = _depression_graph(s, terrain_graph, dem, basins)
    st = _depression_stats(s, g, dem.cell_area_m2, params)
    balance: dict[str, float] = {"fill_volume_m3": float(st.vol.sum())}
    rain = None
    if rain_mm is not None:
        rain = _route_rain(s, g, st, dem, rain_mm, buildings, basins, paved, green, params)
        balance.update(rain.balance)
    depressions = _depression_table(s, g, st, dem, rain)
    out_b, flooded = None, 0
    if buildings is not None:
        out_b, flooded = _exposure(s, st, dem, buildings, None if rain is None else rain.water_depth, params)
    return FloodResult(filled=s.f[1:-1, 1:-1].copy(), depressions=depressions,
                       water_depth=None if rain is None else rain.water_depth,
                       buildings=out_b, balance=balance, basins=None if rain is None else rain.basins,
                       flooded_buildings=flooded)


def _check_inputs(dem: Raster, rain_mm: float | None, buildings: gpd.GeoDataFrame | None,
                  basins: gpd.GeoDataFrame | None, paved: gpd.GeoDataFrame | None,
                  green: gpd.GeoDataFrame | None) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """Check the DEM type, the rain and the CRS of every layer."""
    if not isinstance(dem, Raster):
        msg = f"'dem' should be a twin.raster.Raster, got {type(dem)}"
        raise TypeError(msg)
    if rain_mm is not None and (not np.isfinite(rain_mm) or rain_mm < 0):
        raise input_error("rain_mm", f"rain must be a non-negative number of mm, got {rain_mm}",
                          "pass e.g. rain_mm=50")
    if buildings is not None:
        buildings = _check_layer(buildings, "buildings", dem)
    if basins is not None:
        basins = _check_layer(basins, "basins", dem)
    for name, lyr in (("paved", paved), ("green", green)):
        if lyr is not None:
            _check_layer(lyr, name, dem)
    return buildings, basins


@dataclass
class _Surface:
    """The padded DEM ``z``, its filled surface ``f`` and the labelled depression cells."""

    z: np.ndarray
    f: np.ndarray
    valid: np.ndarray
    dep: np.ndarray
    comp: np.ndarray
    ncomp: int
    dcells: np.ndarray
    ddepth: np.ndarray
    dcomp: np.ndarray
    fill_level: np.ndarray
    order: np.ndarray


def _find_depressions(dem: Raster) -> _Surface:
    """Fill the DEM, label the depressions (filled > dem, 8-connected), order their cells."""
    z = _padded(dem.data, None)
    f = _k.pad_nan(fill_depressions(dem.data))
    valid = ~np.isnan(z)
    dep = np.zeros(z.shape, dtype=np.bool_)
    np.greater(f, z, out=dep, where=valid)
    comp, ncomp = _label_components(dep)
    zf = z.ravel()
    ff = f.ravel()
    dcells = np.flatnonzero(dep.ravel())
    ddepth = ff[dcells] - zf[dcells]   # fill depth of the depression cells
    dcomp = comp[dcells]
    fill_level = np.full(ncomp, np.nan)
    fill_level[dcomp] = ff[dcells]
    order = elevation_sorted(zf, dcells)
    return _Surface(z, f, valid, dep, comp, ncomp, dcells, ddepth, dcomp, fill_level, order)


def _label_components(dep: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a padded boolean mask: flat int32 ids from 0, -1 outside.

    :func:`scipy.ndimage.label` numbers the components in raster order of
    their first cell, as :func:`twin._flood_kernels.label_components` does
    (same ids; a compiled library call instead of a numba kernel, so the first
    run after install does not compile it).
    """
    from scipy import ndimage

    lab, n = ndimage.label(dep, structure=np.ones((3, 3), dtype=bool))
    comp = lab.ravel()
    comp -= 1
    return comp.astype(np.int32, copy=False), int(n)


def elevation_sorted(zf: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``cells`` sorted by ``zf`` (stable).

    When every value is a float32 (DEMs usually are) and every index fits 32
    bits, one ``uint64`` sort of ``sortable(float32 bits) << 32 | cell`` does
    it (the order-preserving key ``_sk`` of :func:`twin._flood_kernels.keys_padded`:
    sign bit set flips all bits, else the sign bit is set); otherwise a stable
    argsort.
    """
    v = zf[cells]
    with np.errstate(over="ignore", invalid="ignore"):
        v32 = v.astype(np.float32)
    if np.array_equal(v32, v) and (len(cells) == 0 or int(cells.max()) < 2**32):
        bits = v32.view(np.uint32)
        sign = np.uint32(0x80000000)
        key = np.where(bits & sign, ~bits, bits | sign).astype(np.uint64)
        packed = (key << np.uint64(32)) | cells.astype(np.uint64)
        packed.sort()
        return (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return cells[np.argsort(v, kind="stable")]


@dataclass
class _Graph:
    """Depression hierarchy, flow terminals, pour points and basin attachments."""

    leaf: np.ndarray
    nleaf: int
    parent: np.ndarray
    child1: np.ndarray
    child2: np.ndarray
    spill: np.ndarray
    cap: np.ndarray
    geolink: np.ndarray
    node_comp: np.ndarray
    term0: np.ndarray
    term: np.ndarray
    pour: np.ndarray
    comp_target: np.ndarray
    route_target: np.ndarray
    basin_cap: np.ndarray
    pair_basin: np.ndarray
    pair_exit: np.ndarray
    bnode: np.ndarray

    @property
    def leaf_comp(self) -> np.ndarray:
        return self.node_comp[:self.nleaf]


#: Largest terrain (bytes of its arrays) :func:`_terrain` keeps in a run's cache;
#: a larger one is recomputed per screening rather than held in memory twice.
TERRAIN_CACHE_BYTES = 1 << 30


def _terrain(dem: Raster, cache: dict | None) -> tuple[_Surface, tuple]:
    """The steps that depend on the DEM alone: fill and depressions (:func:`_find_depressions`),
    the depression hierarchy, D8 flow terminals and pour points.

    With ``cache``, a DEM with the same cells, grid and CRS (content digest)
    reuses them; each caller gets its own copy (later steps may change
    arrays in place).
    """
    key = None
    if cache is not None:
        import hashlib

        data = np.ascontiguousarray(dem.data)
        digest = hashlib.sha256(data.view(np.uint8)).hexdigest()
        key = (digest, data.shape, data.dtype.str, tuple(dem.transform), str(dem.crs))
        if key in cache:
            return copy.deepcopy(cache[key])
    s = _find_depressions(dem)
    leaf, nleaf, nodes, _top = _k.pit_hierarchy(s.z, s.dep, s.comp, s.ncomp, s.fill_level, s.order)
    dirs, term0 = _k.flow_terminals(s.z, s.f, s.dep, leaf, nleaf)
    leaf_comp = nodes[6][:nleaf]
    pour, comp_target = _k.pour_points(s.f, s.dep, s.comp, s.ncomp, s.fill_level, term0, leaf_comp, nleaf,
                                       leaf)
    parts = (s, (leaf, nleaf, nodes, dirs, term0, pour, comp_target))
    if key is not None:
        arrays = [v for v in vars(s).values() if isinstance(v, np.ndarray)]
        arrays += [leaf, dirs, term0, pour, comp_target, *nodes]
        if sum(a.nbytes for a in arrays) <= TERRAIN_CACHE_BYTES:
            cache[key] = copy.deepcopy(parts)
    return parts


def _depression_graph(s: _Surface, terrain_graph: tuple, dem: Raster,
                      basins: gpd.GeoDataFrame | None) -> _Graph:
    """Hierarchy of every depression, D8 terminals, pour points (from :func:`_terrain`) and the basins on the graph."""
    leaf, nleaf, nodes, dirs, term0, pour, comp_target = terrain_graph
    parent, child1, child2, spill, cap, geolink, node_comp, _bottom = nodes
    basin_cap = np.zeros(0)
    term = term0
    pair_basin = np.zeros(0, dtype=np.int64)
    pair_exit = np.zeros(0, dtype=np.int64)
    bnode = np.zeros(0, dtype=np.int64)
    route_target = comp_target
    if basins is not None and len(basins):
        basin_cap = _basin_capacity(basins)
        basin_cells = np.full(s.z.shape, -1, dtype=np.int32)
        basin_cells[1:-1, 1:-1] = _rasterize_index(basins, dem, all_touched=True)
        term, pair_basin, pair_exit = _k.basin_terminals(dirs, s.dep, term0, basin_cells.ravel(), nleaf,
                                                         dem.shape[1] + 2)
        bnode = _k.basin_nodes(s.dep, leaf, basin_cells.ravel(), s.z, parent, len(basins), len(parent))
        # a depression whose overflow path crosses a basin spills into that basin
        via = (pour >= 0) & (term[np.maximum(pour, 0)] >= nleaf)
        route_target = np.where(via, term[np.maximum(pour, 0)], comp_target)
    return _Graph(leaf, nleaf, parent, child1, child2, spill, cap, geolink, node_comp, term0, term, pour,
                  comp_target, route_target, basin_cap, pair_basin, pair_exit, bnode)


@dataclass
class _Stats:
    """Per depression: cells, volume, deepest fill, watershed area, downstream, reported."""

    cnt: np.ndarray
    vol: np.ndarray
    maxd: np.ndarray
    ws_area: np.ndarray
    downstream: np.ndarray
    keep: np.ndarray


def _depression_stats(s: _Surface, g: _Graph, area: float, params: FloodParams) -> _Stats:
    """Per-depression statistics (bincount, per PEERS.md) and the reporting thresholds."""
    ncomp = s.ncomp
    cnt = np.bincount(s.dcomp, minlength=ncomp).astype("float64")
    vol = np.bincount(s.dcomp, weights=s.ddepth, minlength=ncomp) * area
    maxd = np.zeros(ncomp)
    np.maximum.at(maxd, s.dcomp, s.ddepth)
    leaf_cells = np.bincount(g.term0[g.term0 >= 0], minlength=g.nleaf)
    ws_area = np.bincount(g.leaf_comp, weights=leaf_cells, minlength=ncomp) * area
    ct, nleaf = g.comp_target, g.nleaf
    downstream = np.where((ct >= 0) & (ct < nleaf),
                          g.leaf_comp[np.clip(ct, 0, max(nleaf - 1, 0))] if nleaf else -1, -1)
    keep = (maxd >= params.min_depth_m) & (cnt * area >= params.min_area_m2) & (vol >= params.min_volume_m3)
    return _Stats(cnt, vol, maxd, ws_area, downstream, keep)


@dataclass
class _Rain:
    """Outputs of the rain event: balance terms, water depth, per-depression water, basins."""

    balance: dict[str, float]
    water_depth: np.ndarray
    water_cols: dict[str, np.ndarray]
    basins: pd.DataFrame | None


def _route_rain(s: _Surface, g: _Graph, st: _Stats, dem: Raster, rain_mm: float,
                buildings: gpd.GeoDataFrame | None, basins: gpd.GeoDataFrame | None,
                paved: gpd.GeoDataFrame | None, green: gpd.GeoDataFrame | None,
                params: FloodParams) -> _Rain:
    """Runoff, fill-spill-merge over depressions and basins, water levels and depth."""
    area = dem.cell_area_m2
    nr, nc = dem.shape
    ncomp, nleaf = s.ncomp, g.nleaf
    nbasin = len(g.basin_cap)
    rain_cell = rain_mm / 1000.0 * area
    q = np.zeros(s.z.shape)
    if params.uniform_runoff:   # coefficient 1.0 everywhere
        q[1:-1, 1:-1] = rain_cell
    else:
        q[1:-1, 1:-1] = _runoff_coefficient(dem.shape, dem, buildings, paved, green, params) * rain_cell
    q[~s.valid] = 0.0
    qf = q.ravel()
    rain_m3 = rain_cell * float(s.valid.sum())
    runoff_m3 = float(qf.sum())
    npair = len(g.pair_basin)
    inflow = _k.inflow_sums(g.term, qf, nleaf + npair)
    direct_out = float(qf[g.term == -1].sum())
    leaf_in = inflow[:nleaf].copy()
    pair_in = inflow[nleaf:nleaf + npair].copy()
    own, full, basin_stored, outflow, basin_inflow = fill_spill_merge(g, leaf_in, pair_in, ncomp, area)
    balance = dict(rain_m3=float(rain_m3), runoff_m3=runoff_m3, loss_m3=float(rain_m3 - runoff_m3),
                   stored_m3=float(own.sum()), basin_m3=float(basin_stored.sum()),
                   outflow_m3=float(outflow + direct_out), outflow_direct_m3=direct_out)
    # water levels (levels work in m3/area = m of the cell area)
    lev = _k.water_levels(s.z, s.order, g.leaf.reshape(s.z.shape), g.parent, g.child1, g.child2, g.cap,
                          g.spill, own / area, full, nleaf)
    water_depth, wmax, wlev = _k.water_depth_grid(s.z.ravel(), s.dcells, s.dcomp, g.leaf, lev, ncomp,
                                                  nr + 2, nc + 2)
    node_water = np.bincount(g.node_comp, weights=own, minlength=ncomp)
    water_cols = {"water_volume_m3": node_water,
                  "water_level_m": wlev,
                  "water_depth_max_m": wmax,
                  "filled_share": np.divide(node_water, st.vol, out=np.zeros(ncomp), where=st.vol > 0)}
    basins_df = None
    if nbasin:
        basins_df = pd.DataFrame({"basin_id": basins["basin_id"].to_numpy(),
                                  "capacity_m3": g.basin_cap,
                                  "inflow_m3": basin_inflow,
                                  "stored_m3": basin_stored,
                                  "overflow_m3": basin_inflow - basin_stored})
    return _Rain(balance, water_depth, water_cols, basins_df)


def fill_spill_merge(g: _Graph, leaf_in: np.ndarray, pair_in: np.ndarray, ncomp: int,
                     area: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Route the runoff reaching each leaf (``leaf_in``) and each basin pair
    (``pair_in``, m3) over the depression graph ``g`` (:func:`twin._flood_kernels.route`).

    Returns the water kept by each node (m3), whether each node is full, per
    basin the water stored and received (m3), and the overflow leaving the area (m3).
    """
    nleaf = g.nleaf
    nbasin = len(g.basin_cap)
    leaf_comp = g.leaf_comp
    order_units = _route_order(g.route_target, g.pair_basin, g.pair_exit, leaf_comp, ncomp, nleaf)
    lorder = np.argsort(leaf_comp, kind="stable")
    ptr = np.searchsorted(leaf_comp[lorder], np.arange(ncomp + 1))
    bporder = np.argsort(g.pair_basin, kind="stable")
    bptr = np.searchsorted(g.pair_basin[bporder], np.arange(nbasin + 1))
    banc, bhead, bnext = _basin_chains(g.bnode, g.parent)
    own_cap = g.cap.copy()
    has = g.child1 >= 0
    own_cap[has] = g.cap[has] - g.cap[g.child1[has]] - g.cap[g.child2[has]]
    own_cap = np.maximum(own_cap, 0.0) * area
    own, full, basin_stored, outflow, basin_inflow, _passes = _k.route(
        order_units, leaf_in, pair_in, g.pair_basin, g.pair_exit, bptr.astype(np.int64),
        bporder.astype(np.int64), g.basin_cap, ptr.astype(np.int64), lorder.astype(np.int64),
        g.route_target, nleaf, ncomp, g.parent, g.child1, g.child2, g.geolink, own_cap, banc, bhead, bnext,
        _MAX_PASSES)
    return own, full, basin_stored, outflow, basin_inflow


def _depression_table(s: _Surface, g: _Graph, st: _Stats, dem: Raster, rain: _Rain | None) -> gpd.GeoDataFrame:
    """One row and polygon per reported depression."""
    area = dem.cell_area_m2
    # downstream id among reported depressions: walk past unreported ones
    down_rep = _reported_downstream(st.downstream, st.keep)
    ids = np.flatnonzero(st.keep)
    polygons = _polygons(s.comp, st.keep, s.ncomp, dem)
    table = pd.DataFrame({
        "depression_id": ids + 1,
        "area_m2": st.cnt[ids] * area,
        "max_depth_m": st.maxd[ids],
        "volume_m3": st.vol[ids],
        "spill_elev_m": s.fill_level[ids],
        "pour_x": np.nan, "pour_y": np.nan,
        "watershed_area_m2": st.ws_area[ids],
        "downstream_id": np.where(down_rep[ids] >= 0, down_rep[ids] + 1, -1),
    })
    if len(ids):
        pr, pc = np.divmod(g.pour[ids], dem.shape[1] + 2)
        xs, ys = _apply(dem.transform, pc - 1 + 0.5, pr - 1 + 0.5)
        table["pour_x"] = np.where(g.pour[ids] >= 0, xs, np.nan)
        table["pour_y"] = np.where(g.pour[ids] >= 0, ys, np.nan)
    if rain is not None:
        for name, values in rain.water_cols.items():
            table[name] = values[ids]
    return gpd.GeoDataFrame(table, geometry=polygons, crs=dem.crs)


def _exposure(s: _Surface, st: _Stats, dem: Raster, buildings: gpd.GeoDataFrame,
              water_depth: np.ndarray | None, params: FloodParams) -> tuple[gpd.GeoDataFrame, int]:
    """``flood_depth_m`` and ``in_low_lying_area`` per building; the count of flooded ones."""
    if water_depth is not None:
        wdepth = np.nan_to_num(water_depth, nan=0.0)
    else:
        zf, ff = s.z.ravel(), s.f.ravel()
        kept = s.dcells[st.keep[s.dcomp]] if s.ncomp else s.dcells[:0]
        wd_pad = np.zeros(s.z.size)
        wd_pad[kept] = ff[kept] - zf[kept]
        wdepth = np.ascontiguousarray(wd_pad.reshape(s.z.shape)[1:-1, 1:-1])
    radius = int(math.ceil(params.building_buffer_m / dem.cellsize_m - 1e-9))
    near = _max_filter(wdepth, radius)
    idx = _rasterize_index(buildings, dem, all_touched=True)
    fd, touched, low = _k.building_exposure(idx, near, s.comp, st.keep.astype(np.bool_), len(buildings))
    fd = np.where(touched, fd, np.nan)
    out_b = buildings.copy()
    out_b["flood_depth_m"] = fd
    out_b["in_low_lying_area"] = low
    flooded = int(np.sum(np.nan_to_num(fd, nan=-1.0) > params.flooded_depth_m))
    return out_b, flooded


def _route_order(comp_target: np.ndarray, pair_basin: np.ndarray, pair_exit: np.ndarray,
                 leaf_comp: np.ndarray, ncomp: int, nleaf: int) -> np.ndarray:
    """Upstream-first order of the routing units (depressions ``0..ncomp-1``, basins after).

    Edges: a depression to the unit of its overflow target, a basin to the
    unit of each of its exits. Kahn's algorithm; units on a cycle (not
    expected, see ``_flood_kernels.pour_points``) go last in any order.
    """
    nb = int(pair_basin.max()) + 1 if len(pair_basin) else 0
    n = ncomp + nb

    def unit(code: np.ndarray) -> np.ndarray:
        u = np.full(len(code), -1, dtype=np.int64)
        lf = (code >= 0) & (code < nleaf)
        u[lf] = leaf_comp[code[lf]]
        pr = code >= nleaf
        u[pr] = ncomp + pair_basin[code[pr] - nleaf]
        return u

    src = np.r_[np.arange(ncomp, dtype=np.int64), ncomp + pair_basin]
    dst = np.r_[unit(np.asarray(comp_target, dtype=np.int64)), unit(pair_exit)]
    ok = (dst >= 0) & (dst != src)
    src, dst = src[ok], dst[ok]
    eo = np.argsort(src, kind="stable")
    src, dst = src[eo], dst[eo]
    eptr = np.searchsorted(src, np.arange(n + 1))
    return _k.kahn_order(n, eptr.astype(np.int64), dst.astype(np.int64))


def _basin_chains(bnode: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hierarchy node: nearest node at or above it with a basin (``banc``), the
    first basin attached to each node (``bhead``) and the next basin at the same
    node (``bnext``)."""
    nn = len(parent)
    bhead = np.full(nn, -1, dtype=np.int64)
    bnext = np.full(len(bnode), -1, dtype=np.int64)
    for b in np.flatnonzero(bnode >= 0)[::-1]:
        bnext[b] = bhead[bnode[b]]
        bhead[bnode[b]] = b
    banc = np.full(nn, -1, dtype=np.int64)
    if len(bnode) and (bnode >= 0).any():
        banc = _k.nearest_marked_ancestor(parent, bhead >= 0)
    return banc, bhead, bnext


def _reported_downstream(down: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """First reported depression downstream of each depression (-1: none, or a cycle).

    Linear time: every walk stops at a reported depression, the edge, a node
    already resolved or a cycle, and writes its answer to the whole path.
    """
    return _k.reported_downstream(np.asarray(down, dtype=np.int64), np.asarray(keep, dtype=np.bool_))


def _polygons(comp: np.ndarray, keep: np.ndarray, ncomp: int, dem: Raster) -> gpd.GeoSeries:
    """One polygon per reported depression, outlined by ``_flood_kernels.trace_rings``.

    The same polygons as ``rasterio.features.shapes(..., connectivity=8)``
    (a region joined through a corner is one polygon whose outline touches
    itself there), built straight from the label raster in one pass.
    """
    import shapely

    nr, nc = dem.shape
    ids = np.flatnonzero(keep)
    if len(ids) == 0:
        return gpd.GeoSeries([], crs=dem.crs)
    lab = comp.reshape(nr + 2, nc + 2)[1:-1, 1:-1]
    rep = np.where((lab >= 0) & keep[np.maximum(lab, 0)], lab + 1, 0).astype("int32")
    vr, vc, ring_off, ring_lab = _k.trace_rings(rep)
    del rep
    t = dem.transform
    sizes = np.diff(ring_off)
    coords = np.empty((len(vr), 2))
    coords[:, 0], coords[:, 1] = _apply(t, vc.astype("float64"), vr.astype("float64"))
    lr = shapely.linearrings(coords, indices=np.repeat(np.arange(len(sizes)), sizes))
    # group the rings by label, each label's outer ring (found first) first
    ro = np.argsort(ring_lab, kind="stable")
    lab_sorted = ring_lab[ro]
    uniq, owner = np.unique(lab_sorted, return_inverse=True)
    polys = shapely.polygons(lr[ro], indices=owner)
    pos = np.searchsorted(uniq, ids + 1)
    return gpd.GeoSeries(polys[pos], crs=dem.crs)
