"""Importers: OpenStreetMap files and municipal building registers → district folders.

* :func:`twin.importers.osm.import_osm` — ``.osm.pbf``, ``.osm``, Overpass JSON, GeoJSON.
* :func:`twin.importers.vector.import_vector` — any GDAL vector file with a YAML column mapping.
* :func:`write_imported` — validate the imported layers (and a DEM) and write them as a
  district folder, all at once: a failed import leaves no folder behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml

from twin._errors import InputError, Problem, input_error
from twin._yaml import read_yaml

__all__ = ["write_imported", "validate_dem", "import_summary", "format_summary", "data_note", "write_layer"]

#: Columns added by the importers that the district schema does not declare
#: but that are kept for transparency (provenance of every value).
PROVENANCE_COLUMNS = ("use_source", "floors_source", "year_source", "heating_source")
#: Provenance flags, in the order they are reported.
SOURCES = ("tagged", "inferred", "default")


def validate_dem(dem_path: str | os.PathLike, buildings: gpd.GeoDataFrame, *, where: str = "--dem") -> None:
    """Check a DEM as :func:`twin.district.load_district` would: readable, metric, covering the buildings.

    Parameters
    ----------
    dem_path : path-like
        A GeoTIFF DEM.
    buildings : geopandas.GeoDataFrame
        The imported buildings (metric CRS, ``building_id``).
    where : str
        How to name the DEM in messages.

    Raises
    ------
    InputError
        When ``twin check`` would reject the district because of the DEM.
    """
    from twin.district import _dem_coverage_problems, reproject_raster
    from twin.raster import read_dem

    label = f"{where} {dem_path}"
    dem = read_dem(dem_path, where=label)
    if buildings.crs is not None and not dem.crs.equals(buildings.crs):
        dem = reproject_raster(dem, buildings.crs)
    problems = _dem_coverage_problems(dem, buildings, label)
    if problems:
        raise InputError(problems)


def import_summary(buildings: gpd.GeoDataFrame, *, residents_from: str) -> dict[str, Any]:
    """Shares of use/floors/year/heating that came from the data, were inferred, or are defaults.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Imported buildings with the provenance columns ``use_source`` ...
        (a missing column counts as all ``default``).
    residents_from : str
        How residents were set (e.g. ``"population grid (dasymetric)"``).

    Returns
    -------
    dict
        ``{"buildings": n, "use": {"tagged": share, "inferred": share,
        "default": share}, ..., "residents_from": ...}``; shares are rounded
        to three decimals.
    """
    n = len(buildings)
    out: dict[str, Any] = {"buildings": int(n)}
    for col in PROVENANCE_COLUMNS:
        key = col.removesuffix("_source")
        if col in buildings.columns and n:
            vals = buildings[col].astype(str)
            out[key] = {s: round(float((vals == s).mean()), 3) for s in SOURCES}
        else:
            out[key] = {"tagged": 0.0, "inferred": 0.0, "default": 1.0 if n else 0.0}
    out["residents_from"] = residents_from
    merged = buildings.attrs.get("duplicates_merged")
    if merged is not None:
        out["duplicates_merged"] = int(merged)
    return out


def format_summary(summary: dict[str, Any]) -> str:
    """One line per attribute: ``use: 62 % tagged, 30 % inferred, 8 % default``."""
    lines = []
    for key in ("use", "floors", "year", "heating"):
        s = summary.get(key)
        if isinstance(s, dict):
            lines.append(f"  {key}: " + ", ".join(f"{100 * float(s.get(k, 0)):.0f} % {k}" for k in SOURCES))
    if summary.get("residents_from"):
        lines.append(f"  residents: {summary['residents_from']}")
    if summary.get("duplicates_merged"):
        lines.append(f"  {summary['duplicates_merged']} footprint(s) of buildings mapped twice merged (each building once)")
    return "\n".join(lines)


def data_note(district: Any) -> str | None:
    """One line for the run summary: how much of the district's data is inferred or default.

    Parameters
    ----------
    district : twin.district.District
        A loaded district.

    Returns
    -------
    str or None
        E.g. ``"data: use inferred for 71 % of buildings, default for 6 %
        (not tagged); residents estimated from floor area only (no
        population grid)"``; None when the district has neither provenance
        columns nor estimated residents.
    """
    b = district.buildings
    parts = []
    if "use_source" in b.columns and len(b):
        src = b["use_source"].astype(str)
        parts.append(f"use inferred for {100 * (src == 'inferred').mean():.0f} % of buildings, "
                     f"default for {100 * (src == 'default').mean():.0f} % (not tagged)")
    has_residents = "residents" in b.columns and b["residents"].notna().any()
    if not has_residents:
        parts.append("residents estimated from floor area only (no population grid)")
    elif "residents_source" in b.columns and (b["residents_source"].astype(str) == "population_grid").any():
        parts.append("residents from the population grid by residential floor area (dasymetric)")
    else:
        how = (district.manifest.get("import_summary") or {}).get("residents_from")
        if how:
            parts.append(f"residents from {how}")
    return ("data: " + "; ".join(parts)) if parts else None


def write_imported(layers: dict[str, gpd.GeoDataFrame], out_dir: str | os.PathLike, *, name: str,
                   dem_path: str | os.PathLike | None = None,
                   source_file: str | os.PathLike,
                   population: gpd.GeoDataFrame | None = None,
                   summary: dict[str, Any] | None = None, description: str | None = None) -> Path:
    """Validate imported layers and write them as a district folder (``synthetic: false``).

    Everything ``twin check`` would refuse is refused here first, before
    anything is written: each layer is checked against its schema, the DEM
    is opened and checked (metric CRS, covers the buildings). The folder is
    written under a temporary name next to ``out_dir``, loaded back with
    :func:`twin.district.load_district`, and only then renamed to
    ``out_dir``; a failed import leaves nothing behind.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        As returned by :func:`~twin.importers.osm.import_osm` or
        :func:`~twin.importers.vector.import_vector`; all in one metric CRS.
    out_dir : path-like
        A new or empty folder.
    name : str
        District name.
    dem_path : path-like, optional
        A GeoTIFF DEM to copy into the folder.
    source_file : path-like
        The imported file; OSM inputs (``.osm.pbf``, ``.osm``, Overpass
        JSON, GeoJSON through ``import_osm``) get the OSM attribution and
        ODbL licence, other files an attribution naming the file.
    population : geopandas.GeoDataFrame, optional
        The population grid (``population`` column) the residents were
        allocated from; written as ``population.gpkg``.
    summary : dict, optional
        What came from data and what from defaults
        (:func:`import_summary`); written to ``district.yaml`` as
        ``import_summary``.
    description : str, optional
        The manifest's description (default: "Imported from FILE by twin").

    Returns
    -------
    pathlib.Path
        The district folder.
    """
    from twin import schema as sch
    from twin.district import load_district, validate_layer, write_district

    out = Path(out_dir)
    layers = dict(layers)
    grid = layers.pop("population", None)
    population = population if population is not None else grid
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise input_error(str(out), "the output folder exists and is not empty",
                          "choose a new folder for --out (existing files are never overwritten)")
    buildings = layers["buildings"]
    if buildings.crs is None:
        raise input_error(str(source_file), "the imported buildings have no CRS",
                          "set `crs:` in the mapping file")
    crs = buildings.crs.to_string()
    problems: list[Problem | str] = []
    for key, gdf in layers.items():
        if gdf is None or len(gdf) == 0:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # repairs are reported when the folder is loaded
                validate_layer(gdf, sch.LAYERS[key], crs=crs, where=f"{source_file}: imported {key}")
        except InputError as exc:
            problems.extend(exc.problems)
    if dem_path is not None:
        try:
            validate_dem(dem_path, buildings)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    src = Path(source_file)
    is_osm = bool(buildings.attrs.get("osm")) or src.name.lower().endswith(
        (".pbf", ".osm", ".osm.gz", ".osm.bz2"))
    if is_osm:
        from twin.importers.osm import ATTRIBUTION, LICENCE

        attribution, licence = ATTRIBUTION, LICENCE
    else:
        attribution = str(buildings.attrs.get("attribution") or f"Imported from {src.name}")
        licence = str(buildings.attrs.get("licence") or "see the licence of the source register")
    if population is not None:
        attribution = f"{attribution}; population grid: {Path(str(population.attrs.get('path', 'given'))).name}"
    description = description or f"Imported from {src.name} by twin"
    if summary is None:
        summary = import_summary(buildings, residents_from=str(buildings.attrs.get(
            "residents_from", "estimated from floor area only (no population grid)")))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".importing", dir=out.parent))
    try:
        write_district(tmp, name=name, crs=crs, layers=dict(layers), dem_path=dem_path,
                       synthetic=False, attribution=attribution, licence=licence,
                       description=description)
        if population is not None or summary is not None:
            _extend_manifest(tmp, population=population, summary=summary, crs=crs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_district(tmp)  # the folder must pass `twin check` before it gets its name
        if out.exists():
            out.rmdir()
        os.rename(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def write_layer(gdf: gpd.GeoDataFrame, out: str | os.PathLike, *, layer: str,
                source_file: str | os.PathLike) -> Path:
    """Validate one imported layer against its schema and write it as a new GeoPackage (atomically).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (metric CRS).
    out : path-like
        A new ``.gpkg`` file (an existing file is never overwritten).
    layer : str
        Layer key (``charging_points``).
    source_file : path-like
        The register, for messages.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from twin import schema as sch
    from twin._io import write_gpkg
    from twin.district import validate_layer

    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise input_error(str(out), "a single layer is written as a GeoPackage", "give --out NAME.gpkg")
    if out.exists():
        raise input_error(str(out), "the output file exists", "choose a new file for --out (files are never overwritten)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = validate_layer(gdf, sch.LAYERS[layer], crs=gdf.crs, where=f"{source_file}: imported {layer}")
    return write_gpkg(out, checked, layer=layer)


def _extend_manifest(folder: Path, *, population: gpd.GeoDataFrame | None,
                     summary: dict[str, Any] | None, crs: str) -> None:
    """Add the population grid and the import summary to a freshly written district folder."""
    from twin._io import write_gpkg, write_text

    path = folder / "district.yaml"
    manifest = read_yaml(path, kind="district.yaml")
    if population is not None:  # as the district schema's population layer (SSB's column name)
        cells = gpd.GeoDataFrame({"cell_id": population["cell_id"].astype(str).to_numpy(),
                                  "pop_tot": population["population"].round().astype("int64").to_numpy()},
                                 geometry=population.geometry.to_numpy(), crs=population.crs)
        write_gpkg(folder / "population.gpkg", cells.to_crs(crs), layer="population")
        manifest["layers"]["population"] = "population.gpkg"
    if summary is not None:
        manifest["import_summary"] = summary
    write_text(path, yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
