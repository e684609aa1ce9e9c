"""File adapter of the flood screening (used by ``twin flood``).

Reads the DEM and vector layers, checks them, calls :func:`twin.flood.screen`
and writes the outputs atomically. No computation happens here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from twin._errors import input_error
from twin.flood import FloodParams, screen
from twin.raster import Raster, read_dem, write_geotiff


#: environment variable that overrides ``max_memory_gb`` of ``flood_params.csv`` (GB)
MEMORY_ENV = "TWIN_FLOOD_MAX_MEMORY_GB"


def max_memory_gb(params: FloodParams) -> float:
    """The in-memory limit of one screening run (GB): ``$TWIN_FLOOD_MAX_MEMORY_GB`` when set
    (e.g. the memory of the machine at hand), else ``params.max_memory_gb``."""
    raw = os.environ.get(MEMORY_ENV)
    if raw is None or raw.strip() == "":
        return float(params.max_memory_gb)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise input_error(MEMORY_ENV, f"'{raw}' is not a positive number of GB", f"set e.g. {MEMORY_ENV}=12")
    return value


def needs_tiles(cells: int, params: FloodParams) -> bool:
    """Whether an in-memory screening of ``cells`` cells would exceed :func:`max_memory_gb`."""
    return cells * params.bytes_per_cell / 1e9 > max_memory_gb(params)


#: bytes per cell that ``twin run`` holds for a district DEM screened tile by tile: the
#: DEM, its filled surface and the water depth, each a float64 array (3 x 8 B)
RUN_BYTES_PER_CELL = 3 * 8


def _dem_cells(path: Path) -> int | None:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(path) as src:
            return int(src.width) * int(src.height)
    except (RasterioError, OSError):
        return None  # read_dem reports broken files with its own message


def _dem_size_check(path: Path, params: FloodParams, *, district: bool = False) -> None:
    """Refuse DEMs whose estimated working memory exceeds :func:`max_memory_gb`.

    ``twin flood`` without ``--chunks`` needs ``bytes_per_cell`` per cell; a
    district DEM (``district``) is screened in tiles when it is larger, so
    only the arrays ``twin run`` holds count (:data:`RUN_BYTES_PER_CELL`).
    """
    cells = _dem_cells(path)
    if cells is None:
        return
    per_cell = RUN_BYTES_PER_CELL if district else params.bytes_per_cell
    need_gb = cells * per_cell / 1e9
    if need_gb > max_memory_gb(params):
        fix = ("clip it to the district (gdalwarp -te ...) or resample it to a coarser cell size" if district else
               "screen it tile by tile (`twin flood DEM --chunks 4096`), clip it to the district "
               "(gdalwarp -te ...) or resample it to a coarser cell size")
        raise input_error(str(path), f"the DEM has {cells:,} cells and needs about {need_gb:.1f} GB "
                          f"of memory, above the limit of {max_memory_gb(params):g} GB", fix)


def read_vector(path: str | os.PathLike, dem: Raster, *, layer: str,
                geometry: tuple[str, ...] = ("Polygon", "MultiPolygon")) -> gpd.GeoDataFrame:
    """Read a vector file, check it and reproject it to the DEM's CRS.

    Raises
    ------
    twin._errors.InputError
        Missing or unreadable file, no CRS, no features.
    """
    path = Path(path)
    label = f"{path}: layer {layer}"
    if not path.exists():
        raise input_error(label, "file not found", "check the path on the command line")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for broken files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error(label, f"cannot read the file ({first})",
                          "export it again in a format GDAL reads (GeoPackage, GeoJSON, Shapefile)") from None
    if len(gdf) == 0:
        raise input_error(label, "the layer has no features", "check that the right file was given")
    if gdf.crs is None:
        raise input_error(label, "the layer has no CRS",
                          "assign it, e.g. `ogr2ogr -a_srs EPSG:25833 out.gpkg in.gpkg`")
    wrong = sorted(set(gdf.geom_type.dropna().unique()) - set(geometry))
    if wrong:
        raise input_error(label, f"holds {', '.join(wrong)} features, not {' or '.join(geometry)}",
                          f"give a layer of {layer} polygons")
    if not gdf.crs.equals(dem.crs):
        gdf = gdf.to_crs(dem.crs)
    return gdf


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        gdf.to_file(tmp, layer=layer, driver="GPKG")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextmanager
def gpkg_appender(path: Path, layer: str) -> Iterator[Any]:
    """A function that appends GeoDataFrames to one GeoPackage layer, written atomically.

    Features go to a temporary file in the target folder, renamed into
    place when the block ends without error; an empty layer is written when
    nothing was appended.
    """
    import geopandas as gpd

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    state = {"crs": None, "rows": 0}

    def append(gdf: gpd.GeoDataFrame) -> None:
        # depressions joined across tiles can be multipolygons: one conformant layer type
        gdf.to_file(tmp, layer=layer, driver="GPKG", mode="a" if state["rows"] else "w", promote_to_multi=True)
        state["rows"] += len(gdf)
        state["crs"] = gdf.crs

    try:
        yield append
        if not state["rows"]:
            gpd.GeoDataFrame({"depression_id": []}, geometry=[], crs=state["crs"]).to_file(
                tmp, layer=layer, driver="GPKG")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run_flood(dem_path: str | os.PathLike, out_dir: str | os.PathLike, *, rain_mm: float | None = None,
              basins_path: str | os.PathLike | None = None,
              buildings_path: str | os.PathLike | None = None,
              params: FloodParams = FloodParams(), map_lang: str | None = "en") -> dict[str, Any]:
    """Run the flood screening on files and write its outputs.

    Parameters
    ----------
    dem_path : path-like
        Single-band GeoTIFF DEM in metres (metric CRS).
    out_dir : path-like
        Output folder (created when missing).
    rain_mm : float, optional
        Uniform rain event (mm).
    basins_path, buildings_path : path-like, optional
        Vector files (any GDAL format), reprojected to the DEM's CRS.
    params : FloodParams
        Screening parameters.
    map_lang : str or None
        Language of the offline ``map.html`` written with the outputs (None: no map).

    Returns
    -------
    dict
        ``files`` (name -> path), ``balance``, ``depressions`` (count),
        ``flooded_buildings``.

    Raises
    ------
    twin._errors.InputError
        Bad DEM (missing, broken, no CRS, in degrees, no valid cell, too
        large) or bad vector file (missing, unreadable, no CRS, empty).
    """
    dem_path = Path(dem_path)
    out = Path(out_dir)
    if dem_path.exists():
        _dem_size_check(dem_path, params)
    dem = read_dem(dem_path)
    basins = read_vector(basins_path, dem, layer="basins") if basins_path is not None else None
    buildings = read_vector(buildings_path, dem, layer="buildings") if buildings_path is not None else None
    res = screen(dem, buildings=buildings, basins=basins, rain_mm=rain_mm, params=params)
    out.mkdir(parents=True, exist_ok=True)
    inputs = {p.resolve() for p in (dem_path, Path(basins_path or dem_path), Path(buildings_path or dem_path))}
    files: dict[str, Path] = {}

    def target(name: str) -> Path:
        p = out / name
        if p.resolve() in inputs:
            raise input_error(str(p), "the output would overwrite an input file", "choose another --out folder")
        return p

    files["filled"] = write_geotiff(target("filled.tif"), dem.with_data(res.filled))
    files["depressions"] = _write_gpkg(res.depressions, target("depressions.gpkg"), "depressions")
    if res.water_depth is not None:
        files["water_depth"] = write_geotiff(target("water_depth.tif"), dem.with_data(res.water_depth))
    if res.buildings is not None:
        files["buildings"] = _write_gpkg(res.buildings, target("buildings.gpkg"), "buildings")
    if map_lang is not None:
        from twin.maps import write_map
        from twin.maps.flood import flood_map

        m = flood_map(res.depressions, None if res.water_depth is None else dem.with_data(res.water_depth),
                      buildings=res.buildings, basins=basins, rain_mm=rain_mm, balance=res.balance,
                      flooded_buildings=res.flooded_buildings if res.buildings is not None else None,
                      name=dem_path.name, lang=map_lang)
        files["map"] = write_map(m, target("map.html"), offline=True)
    return {"files": files, "balance": res.balance, "depressions": int(len(res.depressions)),
            "flooded_buildings": res.flooded_buildings,
            "basins": None if res.basins is None else res.basins.to_dict("records"),
            "nodata_cells": int(np.isnan(dem.data).sum())}


def run_flood_tiled(dem_path: str | os.PathLike, out_dir: str | os.PathLike, *, chunks: int = 4096,
                    scheduler: Any = "threads", buildings_path: str | os.PathLike | None = None,
                    params: FloodParams = FloodParams(), rain_mm: float | None = None,
                    basins_path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Fill a DEM tile by tile on dask (:func:`twin.flood_tiled.fill_tiled`): ``filled.tif`` and
    ``depressions.gpkg`` (area, depth, volume, spill level and outline of every reported depression).

    Parameters
    ----------
    dem_path : path-like
        Single-band GeoTIFF DEM in metres; any size (read window by window).
    out_dir : path-like
        Output folder (created when missing).
    chunks : int
        Tile side in cells.
    scheduler : str or dask.distributed.Client
        ``threads``, ``processes``, a scheduler address or a Client.
    buildings_path : path-like, optional
        Building footprints: they get ``flood_depth_m`` (fill depth of the
        reported depressions, every depression full) and ``in_low_lying_area``.
    params : FloodParams
        Reporting thresholds of the depressions, building buffer, flooded depth.
    rain_mm : float, optional
        Uniform rain event: ``water_depth.tif``, the water columns of the
        depressions and the balance, as :func:`run_flood` (fill-spill-merge
        across tiles, :mod:`twin.flood_tiled_rain`).
    basins_path : path-like, optional
        Rain-water basins (with ``rain_mm``), as :func:`run_flood`.

    Returns
    -------
    dict
        ``files``, ``tiles``, ``depressions``, ``flooded_buildings``, ``fill_volume_m3``, ``graph_nodes``,
        ``graph_edges``, ``seconds``, ``balance``.
    """
    from twin.flood_tiled import fill_tiled

    out = Path(out_dir)
    target = out / "filled.tif"
    if target.resolve() == Path(dem_path).resolve():
        raise input_error(str(target), "the output would overwrite an input file", "choose another --out folder")
    buildings = basins = None
    if buildings_path is not None or basins_path is not None:
        from twin.raster import open_dem_lazy

        grid = open_dem_lazy(dem_path, chunks)
        inputs = {Path(p).resolve() for p in (buildings_path, basins_path) if p is not None}
        for name in ("buildings.gpkg", "depressions.gpkg", "water_depth.tif"):
            if (out / name).resolve() in inputs:
                raise input_error(str(out / name), "the output would overwrite an input file",
                                  "choose another --out folder")
        if buildings_path is not None:
            buildings = read_vector(buildings_path, grid, layer="buildings")  # type: ignore[arg-type]
        if basins_path is not None:
            basins = read_vector(basins_path, grid, layer="basins")  # type: ignore[arg-type]
    dep_path = out / "depressions.gpkg"
    with gpkg_appender(dep_path, "depressions") as append:
        s, depressions, out_b = fill_tiled(dem_path, target, chunks=chunks, scheduler=scheduler, params=params,
                                           buildings=buildings, sink=append, rain_mm=rain_mm,
                                           water_path=out / "water_depth.tif", basins=basins)
    files = {"filled": target, "depressions": dep_path}
    if rain_mm is not None:
        files["water_depth"] = out / "water_depth.tif"
    if out_b is not None:
        files["buildings"] = _write_gpkg(out_b, out / "buildings.gpkg", "buildings")
    return {"files": files, "shape": s.shape, "tiles": s.tiles, "depressions": depressions["depressions"],
            "flooded_buildings": s.flooded_buildings,
            "fill_volume_m3": depressions["fill_volume_m3"], "graph_nodes": s.graph_nodes,
            "graph_edges": s.graph_edges, "seconds": {k: round(v, 2) for k, v in s.seconds.items()},
            "balance": s.balance, "basins": None if s.basins is None else s.basins.to_dict("records")}
