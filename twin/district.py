"""A district: its manifest and validated layers, loaded from a district folder.

A district folder holds ``district.yaml`` and one file per layer::

    name: Fornebu
    crs: EPSG:25833
    synthetic: true
    synthetic_note: "Location and SSB population grid are real; ..."
    attribution: "..."
    licence: "..."
    layers:
      buildings: buildings.gpkg
      heat_network: heat_network.gpkg
      charging_points: charging_points.gpkg
      basins: basins.gpkg
      dem: dem.tif

:func:`load_district` reads every layer, brings it to the manifest's metric
CRS, checks it against its schema (:mod:`twin.schema`), repairs what can be
repaired (with a warning that counts the repairs) and reports every other
problem of the folder at once as an :class:`~twin._errors.InputError`.
"""

from __future__ import annotations

import difflib
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import CRS

from twin import schema as sch
from twin._errors import InputError, Problem, input_error
from twin._io import atomic_path, write_gpkg, write_text
from twin._text import check_text, local
from twin._yaml import read_yaml
from twin.raster import Raster, is_metric, read_dem

#: Keys allowed at the top level of district.yaml.
MANIFEST_KEYS = ("name", "crs", "synthetic", "synthetic_note", "description",
                 "attribution", "licence", "layers", "parameters", "country", "import_summary",
                 "weather", "places")
#: ISO 3166 codes a manifest's ``country`` may take (see twin/params/country_defaults.csv).
COUNTRIES = ("NO", "SE", "DK", "FI")
#: Non-vector layer keys allowed under ``layers:``.
RASTER_LAYERS = ("dem",)
OTHER_LAYERS = ("population",)
#: At most this many rows are listed per column and kind of problem.
MAX_ROWS_LISTED = 10
#: Polygons smaller than this are degenerate (slivers, points drawn as polygons); issue 10.
MIN_POLYGON_AREA_M2 = 1.0
#: Features of a scenario's layer farther than this outside the district are refused (a guard against
#: files of another place or in a wrong CRS, not a model parameter); the district's diagonal when larger.
NEAR_DISTRICT_M = 5000.0
#: Longest column name a Shapefile (dBASE) stores; longer names arrive truncated.
SHAPEFILE_NAME_LEN = 10


class TwinWarning(UserWarning):
    """A problem in the input that was repaired; the run goes on."""


@dataclass(frozen=True)
class District:
    """A district's validated layers, all in one metric CRS.

    Parameters
    ----------
    name : str
        District name.
    crs : pyproj.CRS
        Metric CRS of every layer.
    buildings : geopandas.GeoDataFrame
        Buildings (schema :data:`twin.schema.BUILDINGS`).
    heat_network, heat_plants, charging_points, basins, low_lying, streets : GeoDataFrame
        Other vector layers; empty (with the schema's columns) when absent.
    dem : Raster | None
        Elevation model in metres.
    grid_areas : GeoDataFrame | None
        Electricity grid areas (schema :data:`twin.schema.GRID_AREAS`), or None.
    weather : twin.weather.Weather | None
        The hourly weather year named by the manifest's ``weather:``, or None.
    manifest : dict
        The parsed ``district.yaml``.
    path : pathlib.Path | None
        The folder the district was read from.
    """

    name: str
    crs: CRS
    buildings: gpd.GeoDataFrame
    heat_network: gpd.GeoDataFrame
    heat_plants: gpd.GeoDataFrame
    charging_points: gpd.GeoDataFrame
    basins: gpd.GeoDataFrame
    low_lying: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    dem: Raster | None = None
    grid_areas: gpd.GeoDataFrame | None = None
    weather: Any = None
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def synthetic(self) -> bool:
        """Whether the district's data are (partly) synthetic."""
        return bool(self.manifest.get("synthetic", False))

    @property
    def attribution(self) -> str:
        """Data sources and licences as one line (English where given per language)."""
        return self.attribution_in("en")

    def attribution_in(self, lang: str) -> str:
        """Data sources and licences as one line, in ``lang`` where given per language."""
        parts = [local(self.manifest.get(k, ""), lang).strip() for k in ("attribution", "licence")]
        return " · ".join(p for p in parts if p)

    def replace(self, **changes: Any) -> "District":
        """A copy with some fields replaced."""
        return replace(self, **changes)


def empty_layer(schema: sch.LayerSchema, crs: CRS | str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with a layer's declared columns."""
    cols = {c.name: pd.Series([], dtype=_pandas_dtype(c.dtype)) for c in schema.columns}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _pandas_dtype(dtype: str) -> str:
    return {"str": "object", "int": "Int64", "float": "float64", "bool": "boolean"}[dtype]


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """Read and check ``district.yaml`` of a district folder.

    Raises
    ------
    InputError
        Missing file, broken YAML, unknown or missing keys, a non-metric CRS.
    """
    folder = Path(folder)
    if folder.is_file() and folder.name in ("district.yaml", "district.yml"):
        folder = folder.parent
    path = folder / "district.yaml"
    if not folder.exists():
        raise input_error(str(folder), "district folder not found",
                          "give the folder that holds district.yaml, e.g. layers/fornebu")
    if not path.exists():
        raise input_error(str(path), "district.yaml not found",
                          "a district folder needs a district.yaml manifest (see README, 'District folders')")
    manifest = read_yaml(path, kind="district.yaml")
    if not isinstance(manifest, dict):
        raise input_error(str(path), "the manifest is not a mapping of keys to values",
                          "write `name: ...`, `crs: ...`, `layers: {...}`")
    problems: list[Problem] = []
    for key in manifest:
        if key not in MANIFEST_KEYS:
            close = difflib.get_close_matches(str(key), MANIFEST_KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(MANIFEST_KEYS)}"
            problems.append(Problem(str(path), f"unknown key '{str(key)[:40]}'", hint))
    if "country" in manifest and manifest["country"] not in COUNTRIES:
        problems.append(Problem(str(path), f"unknown country {str(manifest['country'])[:20]!r}",
                                f"use one of {', '.join(COUNTRIES)} (ISO 3166 code) or leave the key out "
                                "to infer it from the location", column="country"))
    for key in ("name", "crs", "layers"):
        if key not in manifest:
            problems.append(Problem(str(path), f"missing key '{key}'", f"add `{key}:` to the manifest"))
    for key in ("synthetic_note", "description", "attribution", "licence"):  # text, or per language
        problem = check_text(manifest[key]) if key in manifest else None
        if problem:
            problems.append(Problem(str(path), f"`{key}` {problem}",
                                    f"write `{key}: <text>` or `{key}: {{en: ..., nb: ...}}`",
                                    column=key))
    for key in ("name",):
        if key in manifest and not isinstance(manifest[key], str):
            problems.append(Problem(str(path), f"`{key}` is not text (it is a {type(manifest[key]).__name__})",
                                    f"write `{key}: <text>`", column=key))
    if "crs" in manifest and (isinstance(manifest["crs"], bool) or not isinstance(manifest["crs"], (str, int))):
        problems.append(Problem(str(path), f"`crs` is not a CRS code (it is a {type(manifest['crs']).__name__})",
                                "write an EPSG code such as EPSG:25833", column="crs"))
    elif "crs" in manifest:
        try:
            crs = CRS.from_user_input(manifest["crs"])
            if crs.is_geographic or not is_metric(crs):
                problems.append(Problem(str(path), f"crs {str(manifest['crs'])[:60]} is not metric",
                                        "use a projected CRS in metres, e.g. EPSG:25833 (UTM 33N) or EPSG:3006",
                                        column="crs"))
        except Exception:
            problems.append(Problem(str(path), f"crs '{str(manifest['crs'])[:60]}' is not a known CRS",
                                    "write an EPSG code such as EPSG:25833", column="crs"))
    layers = manifest.get("layers")
    if layers is not None and not isinstance(layers, dict):
        problems.append(Problem(str(path), "`layers` must map layer names to file names",
                                "write e.g. `layers: {buildings: buildings.gpkg}`", column="layers"))
    elif isinstance(layers, dict):
        allowed = tuple(sch.LAYERS) + RASTER_LAYERS + OTHER_LAYERS
        for key, value in layers.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(str(path), f"layer '{str(key)[:40]}' does not name a file",
                                        "write `<layer>: <file name>` relative to the district folder",
                                        column="layers"))
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed layers: {', '.join(allowed)}"
                problems.append(Problem(str(path), f"unknown layer '{str(key)[:40]}'", hint, column="layers"))
        if "buildings" not in layers:
            problems.append(Problem(str(path), "no buildings layer",
                                    "add `buildings: <file>` under `layers:`", column="layers"))
    if manifest.get("places") is not None:
        problems.extend(_place_problems(manifest["places"], str(path)))
    if "synthetic" in manifest and not isinstance(manifest["synthetic"], bool):
        problems.append(Problem(str(path), "`synthetic` must be true or false",
                                "write `synthetic: true` or `synthetic: false`", column="synthetic"))
    if problems:
        raise InputError(problems)
    return manifest


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))


def _place_problems(places: Any, where: str) -> list[Problem]:
    """Problems of a manifest's ``places:`` (a list of ``{name, lon, lat}`` or ``{name, x, y}``)."""
    fix = "write `places: [{name: Storøya, lon: 10.61, lat: 59.90}]` (or x, y in the district CRS)"
    if not isinstance(places, list):
        return [Problem(where, f"`places` is a {type(places).__name__}, not a list", fix, column="places")]
    problems = []
    for i, p in enumerate(places):
        col = f"places[{i}]"
        if not isinstance(p, dict):
            problems.append(Problem(where, f"`{col}` is a {type(p).__name__}, not a mapping", fix, column=col))
            continue
        unknown = [str(k)[:20] for k in p if k not in ("name", "lon", "lat", "x", "y")]
        if unknown:
            problems.append(Problem(where, f"`{col}` has unknown key {unknown[0]!r}",
                                    "use name with lon, lat or with x, y", column=col))
        bad_name = check_text(p["name"]) if "name" in p else "is missing"
        if bad_name:
            problems.append(Problem(where, f"`{col}.name` {bad_name}",
                                    "write `name: <text>` or `name: {en: ..., nb: ...}`", column=col))
        pair = ("lon", "lat") if "lon" in p or "lat" in p else ("x", "y")
        if ("lon" in p or "lat" in p) and ("x" in p or "y" in p):
            problems.append(Problem(where, f"`{col}` gives both lon/lat and x/y", "give one pair", column=col))
        elif not all(_number(p.get(k)) for k in pair):
            problems.append(Problem(where, f"`{col}` needs numbers {pair[0]} and {pair[1]}", fix, column=col))
        elif pair == ("lon", "lat") and not (-180 <= p["lon"] <= 180 and -90 <= p["lat"] <= 90):
            problems.append(Problem(where, f"`{col}` lon {p['lon']}, lat {p['lat']} is outside WGS 84",
                                    "give lon in -180..180 and lat in -90..90 (degrees), or x, y in the "
                                    "district CRS", column=col))
    return problems


def places_layer(manifest: dict[str, Any], crs: Any) -> gpd.GeoDataFrame:
    """The manifest's ``places:`` as points in the district CRS.

    Parameters
    ----------
    manifest : dict
        A manifest checked by :func:`read_manifest`.
    crs : pyproj.CRS or str
        The district CRS (``x``, ``y`` are in it; ``lon``, ``lat`` are WGS 84).

    Returns
    -------
    GeoDataFrame
        ``name`` (a text or a mapping of language to text) and a Point per place.
    """
    names, pts = [], []
    for p in manifest.get("places") or []:
        if "lon" in p:
            pt = gpd.GeoSeries([shapely.Point(p["lon"], p["lat"])], crs="EPSG:4326").to_crs(crs).iloc[0]
        else:
            pt = shapely.Point(p["x"], p["y"])
        names.append(p["name"])
        pts.append(pt)
    return gpd.GeoDataFrame({"name": pd.Series(names, dtype=object)}, geometry=pts, crs=crs)


def load_district(path: str | os.PathLike) -> District:
    """Load and validate a district folder.

    Parameters
    ----------
    path : path-like
        A folder holding ``district.yaml`` (or the manifest file itself).

    Returns
    -------
    District
        Every layer in the manifest's CRS, validated and repaired.

    Raises
    ------
    InputError
        Every problem of the folder, one line each.

    Warns
    -----
    TwinWarning
        When geometries were repaired (counted per layer).
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    manifest = read_manifest(folder)
    crs = CRS.from_user_input(manifest["crs"])
    problems: list[Problem | str] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    for key, layer_schema in sch.LAYERS.items():
        fname = manifest["layers"].get(key)
        if fname is None:
            layers[key] = empty_layer(layer_schema, crs)
            continue
        try:
            gdf = read_layer(folder / str(fname), layer_schema, crs=crs)
            layers[key] = gdf
        except InputError as exc:
            problems.extend(exc.problems)
            layers[key] = empty_layer(layer_schema, crs)
    grid = None
    if "population" in manifest["layers"]:  # checked as `twin run` reads it
        from twin.population import read_population_grid

        try:
            grid = read_population_grid(folder / str(manifest["layers"]["population"]), crs=crs)
        except InputError as exc:
            problems.extend(exc.problems)
    dem = None
    if "dem" in manifest["layers"]:
        dem_path = folder / str(manifest["layers"]["dem"])
        try:
            from twin.flood import FloodParams
            from twin.flood_io import _dem_size_check

            # a DEM above the in-memory limit of the screening is screened tile by tile
            # (twin.pipeline.Session.screen); only the arrays `twin run` holds must fit
            _dem_size_check(dem_path, FloodParams(), district=True)
            dem = read_dem(dem_path, where=f"{dem_path}: layer dem")
            if not dem.crs.equals(crs):
                dem = reproject_raster(dem, crs)
            if len(layers["buildings"]):
                problems.extend(_dem_coverage_problems(dem, layers["buildings"], str(dem_path)))
        except InputError as exc:
            problems.extend(exc.problems)
    weather = None
    if manifest.get("weather") is not None:
        from twin.weather import weather_from_manifest

        try:
            weather = weather_from_manifest(manifest["weather"], folder, where=str(folder / "district.yaml"))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    if grid is not None:  # residents from the grid where the buildings have none (twin.population)
        from twin.population import residents_from_grid

        layers["buildings"] = residents_from_grid(layers["buildings"], grid)
    grid_areas = layers["grid_areas"] if "grid_areas" in manifest["layers"] else None
    return District(
        name=str(manifest["name"]), crs=crs, buildings=layers["buildings"],
        heat_network=layers["heat_network"], heat_plants=layers["heat_plants"],
        charging_points=layers["charging_points"], basins=layers["basins"],
        low_lying=layers["low_lying"], streets=layers["streets"], dem=dem,
        grid_areas=grid_areas, weather=weather, manifest=manifest, path=folder,
    )


def _dem_coverage_problems(dem: Raster, buildings: gpd.GeoDataFrame, where: str) -> list[Problem]:
    minx, miny, maxx, maxy = dem.bounds
    b = buildings.geometry.bounds
    outside = (b.minx < minx) | (b.miny < miny) | (b.maxx > maxx) | (b.maxy > maxy)
    if not outside.any():
        return []
    ids = buildings.loc[outside, "building_id"].astype(str).tolist()
    listed = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return [Problem(f"{where}: layer dem",
                    f"the DEM (extent {minx:.0f},{miny:.0f} – {maxx:.0f},{maxy:.0f}) does not cover "
                    f"{len(ids)} building(s): {listed}",
                    "use a DEM that covers the whole district, or clip the buildings to it")]


def reproject_raster(raster: Raster, crs: CRS) -> Raster:
    """Warp a raster to another CRS at the same resolution (bilinear)."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = raster.shape
    minx, miny, maxx, maxy = raster.bounds
    transform, width, height = calculate_default_transform(
        raster.crs, crs, cols, rows, minx, miny, maxx, maxy, resolution=raster.cellsize_m)
    out = np.full((height, width), np.nan)
    reproject(raster.data, out, src_transform=raster.transform, src_crs=raster.crs,
              dst_transform=transform, dst_crs=crs, resampling=Resampling.bilinear,
              src_nodata=np.nan, dst_nodata=np.nan)
    return Raster(out, transform, crs)


def read_layer(path: str | os.PathLike, layer_schema: sch.LayerSchema, *, crs: CRS | str,
               layer: str | None = None, overrides: dict[str, dict[str, Any]] | None = None,
               near: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Read one vector layer file, reproject it and validate it against its schema.

    Parameters
    ----------
    path : path-like
        Any vector format GDAL reads.
    layer_schema : twin.schema.LayerSchema
        The schema to check against.
    crs : CRS or str
        Target metric CRS.
    layer : str, optional
        Layer inside a multi-layer file (default: the first).
    overrides : dict, optional
        Per-column changes to the schema, e.g. ``{"year": {"max": 2100}}`` for
        planned buildings.
    near : (minx, miny, maxx, maxy), optional
        The district's extent: features far outside it are an error
        (:func:`check_near`), e.g. a scenario's file from another city.

    Returns
    -------
    geopandas.GeoDataFrame
        Validated, repaired, typed, in ``crs``.
    """
    path = Path(path)
    where = f"{path}: layer {layer_schema.name}"
    if not path.exists():
        raise input_error(where, "file not found", "check the file name under `layers:` in district.yaml")
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError / OSError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise input_error(where, f"cannot read the file ({first})",
                          "check that it is a valid vector file (GeoPackage, GeoJSON, Shapefile …)") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise input_error(where, "the file has no geometry column", "export it with geometries")
    if gdf.crs is None:
        raise input_error(where, "the layer has no CRS",
                          f"assign the CRS it is in, e.g. `ogr2ogr -a_srs EPSG:25833 out.gpkg {path.name}`")
    gdf = validate_layer(gdf, layer_schema, crs=crs, where=where, overrides=overrides)
    if near is not None:
        check_near(gdf, near, where=where)
    return gdf


def district_extent(district: "District") -> tuple[float, float, float, float]:
    """The extent of a district's buildings (minx, miny, maxx, maxy) in its CRS."""
    b = district.buildings
    return tuple(float(v) for v in b.total_bounds) if len(b) else (np.nan,) * 4  # type: ignore[return-value]


def check_near(gdf: gpd.GeoDataFrame, extent: tuple[float, float, float, float], *, where: str) -> None:
    """Refuse a layer with features far outside a district's extent.

    A feature is far when it lies more than :data:`NEAR_DISTRICT_M` (or the
    district's own diagonal, when larger) outside the extent: such a layer
    belongs to another place or is in the wrong CRS, and counting it would
    silently change the results.

    Raises
    ------
    InputError
        Naming the file, the rows and the distance.
    """
    minx, miny, maxx, maxy = extent
    if not np.isfinite([minx, miny, maxx, maxy]).all() or len(gdf) == 0:
        return
    margin = max(NEAR_DISTRICT_M, float(np.hypot(maxx - minx, maxy - miny)))
    core = shapely.box(minx, miny, maxx, maxy)
    dist = gdf.geometry.distance(core).to_numpy()
    far = np.flatnonzero(dist > margin)
    if len(far):
        id_col = next((c for c in gdf.columns if c.endswith("_id")), None)
        rows = ", ".join(str(i + 1) + (f" ({id_col}={gdf[id_col].iloc[i]})" if id_col else "") for i in far[:3])
        raise input_error(where, f"{len(far)} of {len(gdf)} features lie far outside the district "
                          f"(up to {dist[far].max() / 1000:,.0f} km from its buildings; rows {rows}"
                          f"{' …' if len(far) > 3 else ''})",
                          "use a file of this district, or check the file's CRS")


def validate_layer(gdf: gpd.GeoDataFrame, layer_schema: sch.LayerSchema, *, crs: CRS | str,
                   where: str, overrides: dict[str, dict[str, Any]] | None = None
                   ) -> gpd.GeoDataFrame:
    """Check a layer against its schema; repair geometries; coerce column types.

    Every problem is collected; an :class:`InputError` lists them all.
    """
    problems: list[Problem] = []
    if len(gdf) == 0:
        raise input_error(where, "the layer is empty (no features)",
                          "add features, or remove the layer from district.yaml")
    if gdf.crs is None:
        raise input_error(where, "the layer has no CRS", "assign its CRS (e.g. EPSG:25833)")
    gdf = gdf.to_crs(crs) if not CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(crs)) else gdf.copy()
    gdf = gdf.reset_index(drop=True)
    gdf = _full_column_names(gdf, layer_schema)
    columns = {c.name: c for c in layer_schema.columns}
    if overrides:
        columns = {n: replace(c, **overrides.get(n, {})) for n, c in columns.items()}
    id_col = next((c.name for c in layer_schema.columns if c.unique), None)
    ids = (gdf[id_col].astype(str).where(gdf[id_col].notna(), None)
           if id_col and id_col in gdf.columns else None)

    def row_label(i: int) -> str:
        if ids is not None and ids.iloc[i] is not None:
            return f"{i + 1} ({id_col}={ids.iloc[i]})"
        return str(i + 1)

    def add_rows(rows: np.ndarray, what: str, fix: str, column: str | None) -> None:
        rows = np.flatnonzero(rows)
        for i in rows[:MAX_ROWS_LISTED]:
            problems.append(Problem(where, what, fix, row=row_label(int(i)), column=column))
        if len(rows) > MAX_ROWS_LISTED:
            problems.append(Problem(where, f"{what} in {len(rows) - MAX_ROWS_LISTED} more rows",
                                    fix, column=column))

    # columns present
    for c in columns.values():
        if c.required and c.name not in gdf.columns:
            close = difflib.get_close_matches(c.name, [str(x) for x in gdf.columns], n=1)
            hint = f"rename '{close[0]}' to '{c.name}'" if close else f"add a '{c.name}' column ({c.description or c.dtype})"
            problems.append(Problem(where, "missing required column", hint, column=c.name))
    for group in layer_schema.one_of:
        if not any(g in gdf.columns for g in group):
            problems.append(Problem(where, f"needs one of the columns {', '.join(group)}",
                                    f"add a '{group[0]}' column"))

    # geometry
    geom = gdf.geometry
    missing = geom.isna().to_numpy() | geom.is_empty.to_numpy()
    add_rows(missing, "empty geometry", "draw the feature or delete the row", None)
    gtype = geom.geom_type.to_numpy()
    ok_types = set(layer_schema.geometry)
    polygonal = ok_types & {"Polygon", "MultiPolygon"}
    invalid = ~missing & ~geom.is_valid.to_numpy()
    repaired = 0
    if invalid.any():
        fixed = shapely.make_valid(geom.to_numpy()[invalid])
        if polygonal:
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        still_bad = np.array([g is None or g.is_empty for g in fixed])
        geoms = geom.to_numpy().copy()
        idx = np.flatnonzero(invalid)
        geoms[idx[~still_bad]] = fixed[~still_bad]
        repaired = int((~still_bad).sum())
        bad_rows = np.zeros(len(gdf), bool)
        bad_rows[idx[still_bad]] = True
        add_rows(bad_rows, "invalid geometry that cannot be repaired (collapses to nothing)",
                 "redraw the feature", None)
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index))
        gtype = gdf.geometry.geom_type.to_numpy()
    multipart = 0
    if "Point" in ok_types:
        mp = gtype == "MultiPoint"
        if mp.any():
            pts = gdf.geometry.to_numpy().copy()
            pts[mp] = [g.geoms[0] for g in pts[mp]]
            multipart = int(mp.sum())
            gdf = gdf.set_geometry(gpd.GeoSeries(pts, crs=gdf.crs, index=gdf.index))
            gtype = gdf.geometry.geom_type.to_numpy()
    wrong = ~missing & ~np.isin(gtype, list(ok_types))
    add_rows(wrong, f"geometry type is not {' or '.join(layer_schema.geometry)}",
             f"a {layer_schema.name} layer holds {'/'.join(layer_schema.geometry)} features", None)
    if polygonal:
        area = gdf.geometry.area.to_numpy()
        add_rows(~missing & ~wrong & (area < MIN_POLYGON_AREA_M2),
                 f"degenerate polygon (area below {MIN_POLYGON_AREA_M2:g} m²)",
                 "redraw the feature or delete the row", None)
    if repaired or multipart:
        msg = f"{where}: repaired {repaired} invalid geometr{'y' if repaired == 1 else 'ies'}" \
              + (f", took the first part of {multipart} multipart point(s)" if multipart else "")
        warnings.warn(msg, TwinWarning, stacklevel=2)

    # columns: type, nulls, range, vocabulary, uniqueness
    for c in columns.values():
        if c.name not in gdf.columns:
            continue
        values, bad_type = _coerce(gdf[c.name], c.dtype)
        add_rows(bad_type, f"value is not of type {c.dtype}", f"write a {c.dtype} value", c.name)
        null = values.isna().to_numpy() & ~bad_type
        if not c.nullable:
            add_rows(null, "missing value", f"fill in '{c.name}'", c.name)
        if c.dtype in ("int", "float"):
            v = values.astype("float64").to_numpy()
            if c.min is not None:
                add_rows(~null & ~bad_type & (v < c.min), f"value below the allowed minimum {c.min:g} {c.unit}".rstrip(),
                         f"use a value between {c.min:g} and {c.max:g}" if c.max is not None else f"use a value >= {c.min:g}",
                         c.name)
            if c.max is not None:
                what = f"value above the allowed maximum {c.max:g} {c.unit}".rstrip()
                if c.name == "year":
                    what = f"year in the future (after {c.max:g})"
                add_rows(~null & ~bad_type & (v > c.max), what,
                         f"use a value between {c.min:g} and {c.max:g}" if c.min is not None else f"use a value <= {c.max:g}",
                         c.name)
        if c.vocabulary is not None:
            vals = values.to_numpy(dtype=object)
            unknown = ~null & ~bad_type & ~np.isin(vals, list(c.vocabulary))
            for word in pd.unique(vals[unknown])[:MAX_ROWS_LISTED]:
                rows = np.flatnonzero(unknown & (vals == word))
                close = difflib.get_close_matches(str(word), c.vocabulary, n=1)
                hint = (f"did you mean '{close[0]}'? " if close else "") + f"allowed: {', '.join(c.vocabulary)}"
                listed = ", ".join(row_label(int(i)) for i in rows[:3]) + (f" and {len(rows) - 3} more" if len(rows) > 3 else "")
                problems.append(Problem(where, f"unknown word '{word}'", hint, row=listed, column=c.name))
        if c.unique:
            dup = values.duplicated(keep=False).to_numpy() & ~null
            for value in pd.unique(values[dup])[:MAX_ROWS_LISTED]:
                rows = np.flatnonzero((values == value).to_numpy())
                problems.append(Problem(where, f"duplicate id '{value}' (rows {', '.join(str(r + 1) for r in rows[:5])})",
                                        "give every feature its own id", column=c.name))
        gdf[c.name] = values
    if problems:
        raise InputError(problems)
    return gdf


def _full_column_names(gdf: gpd.GeoDataFrame, layer_schema: sch.LayerSchema) -> gpd.GeoDataFrame:
    """Accept Shapefile's 10-character column names (``building_i``) as the schema's full names."""
    rename = {}
    for c in layer_schema.columns:
        short = c.name[:SHAPEFILE_NAME_LEN]
        if len(c.name) > SHAPEFILE_NAME_LEN and c.name not in gdf.columns and short in gdf.columns:
            if sum(o.name[:SHAPEFILE_NAME_LEN] == short for o in layer_schema.columns) == 1:
                rename[short] = c.name
    return gdf.rename(columns=rename) if rename else gdf


def _polygonal_part(g: Any) -> Any:
    if g is None or g.is_empty:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if g.geom_type == "GeometryCollection":
        polys = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
        if not polys:
            return None
        u = shapely.union_all(polys)
        return u if not u.is_empty else None
    return None


def _id_text(v: Any) -> Any:
    """Text of a value; a whole number stored as REAL (``1.0``) becomes ``1``."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _coerce(s: pd.Series, dtype: str) -> tuple[pd.Series, np.ndarray]:
    """Coerce a column to a schema type; returns the values and a bad-type mask."""
    null = s.isna().to_numpy()
    if dtype == "str":
        out = s.astype(object).where(~null, None)
        out = out.map(_id_text)
        return out.astype(object), np.zeros(len(s), bool)
    if dtype in ("int", "float"):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna().to_numpy() & ~null
        if dtype == "int":
            f = num.astype("float64").to_numpy()
            frac = ~np.isnan(f) & (np.abs(f - np.round(f)) > 1e-9)
            bad = bad | frac
            num = num.where(~frac)
            return num.round().astype("Int64"), bad
        return num.astype("float64"), bad
    if dtype == "bool":
        mapping = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False,
                   "ja": True, "nei": False, "t": True, "f": False}

        def conv(v: Any) -> Any:
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                return pd.NA
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            if isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1):
                return bool(v)
            return mapping.get(str(v).strip().lower(), "BAD")

        conv_vals = s.astype(object).map(conv)
        bad = (conv_vals == "BAD").to_numpy()
        conv_vals = conv_vals.where(~bad, pd.NA)
        return conv_vals.astype("boolean"), bad
    msg = f"unknown schema dtype {dtype}"
    raise ValueError(msg)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def write_district(folder: str | os.PathLike, *, name: str, crs: str,
                   layers: dict[str, gpd.GeoDataFrame], dem_path: str | os.PathLike | None = None,
                   synthetic: bool = False, attribution: str = "", licence: str = "",
                   description: str = "", synthetic_note: str = "") -> Path:
    """Write a district folder: one GeoPackage per layer and ``district.yaml``.

    Parameters
    ----------
    folder : path-like
        A new or empty folder; an existing district is never overwritten.
    name, crs : str
        District name and metric CRS (layers are reprojected to it).
    layers : dict
        Layer key (see :data:`twin.schema.LAYERS`) to GeoDataFrame; empty
        layers are left out of the manifest.
    dem_path : path-like, optional
        A GeoTIFF to copy into the folder as ``dem.tif``.
    synthetic, attribution, licence, description, synthetic_note
        Manifest fields.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    InputError
        When the folder already holds files, or a layer key is unknown.
    """
    import shutil

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise input_error(str(folder), "the output folder is not empty",
                          "choose a new folder for --out (existing files are never overwritten)")
    manifest: dict[str, Any] = {"name": name, "crs": str(crs), "synthetic": bool(synthetic)}
    if synthetic_note:
        manifest["synthetic_note"] = synthetic_note
    if description:
        manifest["description"] = description
    if attribution:
        manifest["attribution"] = attribution
    if licence:
        manifest["licence"] = licence
    manifest["layers"] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for key, gdf in layers.items():
        if key not in sch.LAYERS:
            raise input_error(str(folder), f"unknown layer '{key}'", f"use one of {', '.join(sch.LAYERS)}")
        if gdf is None or len(gdf) == 0:
            continue
        out = gdf.to_crs(crs) if gdf.crs is not None else gdf
        fname = f"{key}.gpkg"
        write_gpkg(folder / fname, out, layer=key)
        manifest["layers"][key] = fname
    if dem_path is not None:
        with atomic_path(folder / "dem.tif") as tmp:
            shutil.copyfile(dem_path, tmp)
        manifest["layers"]["dem"] = "dem.tif"
    write_text(folder / "district.yaml", yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    return folder


def default_district_path() -> Path:
    """The bundled default district (Fornebu), shipped inside the package."""
    return BUNDLED_DISTRICTS / "fornebu"


#: Bundled districts and scenarios, shipped as package data (``twin/data``).
BUNDLED_DATA = Path(__file__).resolve().parent / "data"
BUNDLED_DISTRICTS = BUNDLED_DATA / "districts"
BUNDLED_SCENARIOS = BUNDLED_DATA / "scenarios"


def resolve_district_path(value: str | Path) -> Path:
    """A district folder given as a path, or as the name of a bundled district.

    ``fornebu`` and ``oslo-bjorvika`` name the districts in ``twin/data/districts``
    when no folder of that name exists in the working directory.
    """
    path = Path(value)
    if not path.exists() and len(path.parts) == 1 and (BUNDLED_DISTRICTS / path.name / "district.yaml").exists():
        return BUNDLED_DISTRICTS / path.name
    return path
