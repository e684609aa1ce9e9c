"""Writers for `twin run`: per-scenario folders and the comparison (all atomic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin._io import atomic_path, write_bytes, write_gpkg, write_json, write_text
from twin.result import Result


def _gpkg_ready(gdf: Any) -> Any:
    """Types GeoPackage stores well (nullable booleans and ints as plain ones where possible)."""
    out = gdf.copy()
    for c in out.columns:
        if c == out.geometry.name:
            continue
        dt = str(out[c].dtype)
        if dt == "boolean":
            out[c] = out[c].fillna(False).astype(bool)
        elif dt in ("object", "str", "string") and out[c].map(lambda v: isinstance(v, (list, dict))).any():
            out[c] = out[c].astype(str)
    return out


def write_result(result: Result, folder: Path, *, lang: str = "en", audience: str = "planner",
                 offline: bool = False, png: bool = False, no_map: bool = False, scenario: Any = None,
                 pdf: bool = False, baseline: Result | None = None,
                 session: Any = None, district: Any = None) -> Path:
    """Write one scenario's outputs into ``folder``.

    Writes ``buildings.gpkg`` (per-building results), ``indicators.json``,
    ``sensitivity.csv`` (when the run drew ranges),
    ``map.html`` and ``report.html`` (and ``map.png`` with ``png``, a one-sheet
    A4 ``map.pdf`` with ``pdf``; the report compares with ``baseline`` when
    given), ``depressions.gpkg`` and
    ``water_depth.tif`` when a DEM was screened, and ``pathway.nc``,
    ``pathway.csv``, ``pathway.png`` when the scenario has phases.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_gpkg(folder / "buildings.gpkg", _gpkg_ready(result.buildings), layer="buildings")
    write_json(folder / "indicators.json", result.indicators)
    sens = (result.extra or {}).get("sensitivity")
    if sens is not None:  # rank correlation of each uncertain parameter with each indicator (twin.uncertainty)
        write_text(folder / "sensitivity.csv", sens.round(4).rename_axis("parameter").to_csv())
    dep = result.layers.get("depressions")
    if dep is not None and len(dep):
        write_gpkg(folder / "depressions.gpkg", _gpkg_ready(dep), layer="depressions")
    if result.water_depth is not None:
        from twin.raster import write_geotiff

        write_geotiff(folder / "water_depth.tif", result.water_depth)
    ds = None
    hourly = result.extra.get("hourly")
    if hourly is not None:
        write_hourly(hourly, folder, scenario=result.scenario)
    if scenario is not None and getattr(scenario, "phases", ()):
        from twin.pipeline import evaluate_pathway

        ds = evaluate_pathway(district, scenario, session=session)
        write_pathway(ds, folder, lang=lang)
    if not no_map:
        from twin.maps import save_pdf, save_png, scenario_map, write_map
        from twin.maps.report import report_page

        m = scenario_map(result, lang=lang, audience=audience, offline=offline)
        html = write_map(m, folder / "map.html", offline=offline)
        if png:
            save_png(html, folder / "map.png")
        if pdf:
            save_pdf(html, folder / "map.pdf")
        write_text(folder / "report.html", report_page(result, lang=lang, pathway_ds=ds,
                                                       baseline=baseline))
    return folder


def write_hourly(hourly: Any, folder: Path, *, scenario: str = "") -> list[Path]:
    """Write hourly loads as ``hourly.nc`` (time × carrier [× grid_area]) and ``hourly.csv`` (district totals)."""
    folder = Path(folder)
    with atomic_path(folder / "hourly.nc") as tmp:
        hourly.dataset(scenario=scenario).to_netcdf(tmp)
    write_text(folder / "hourly.csv", hourly.table().to_csv(index=False, float_format="%.3f"))
    return [folder / "hourly.nc", folder / "hourly.csv"]


def write_pathway(ds: Any, folder: Path, *, lang: str = "en") -> list[Path]:
    """Write a pathway Dataset as NetCDF, CSV and a PNG chart (:mod:`twin.maps.pathway`)."""
    from twin.maps.pathway import pathway_png

    folder = Path(folder)
    with atomic_path(folder / "pathway.nc") as tmp:
        ds.to_netcdf(tmp)
    df = ds.to_dataframe().reset_index()
    write_text(folder / "pathway.csv", _csv(df.set_index(df.columns[0])))
    write_bytes(folder / "pathway.png", pathway_png(ds, lang=lang))
    return [folder / "pathway.nc", folder / "pathway.csv", folder / "pathway.png"]


def write_comparison(results: list[Result], out: Path, *, lang: str = "en", audience: str = "planner",
                     offline: bool = False) -> list[Path]:
    """Write ``compare.csv`` and ``compare.html`` for two or more results."""
    from twin.indicators import compare
    from twin.maps import compare_page

    out = Path(out)
    table = compare(results)
    write_text(out / "compare.csv", _csv(table))
    html = compare_page(results, out / "compare.html", lang=lang, audience=audience, offline=offline)
    return [out / "compare.csv", Path(html)]


def plain_number(v: float) -> str:
    """A float for CSV files: 6 significant digits, never scientific notation ("" for NaN)."""
    if not np.isfinite(v):
        return ""
    return np.format_float_positional(float(v), precision=6, unique=False, fractional=False,
                                      trim="-")


def _csv(df: pd.DataFrame) -> str:
    def fmt(v: Any) -> Any:
        if isinstance(v, (float, np.floating)):
            return plain_number(v)
        return v

    return df.map(fmt).to_csv()
