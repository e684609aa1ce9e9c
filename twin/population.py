"""Residents per building from a population grid (dasymetric allocation).

National statistics offices publish residents per grid cell: Statistics
Norway's and SCB's 250 m grids, Statistics Finland's and Danmarks
Statistik's 1 km / 250 m grids. A building register or OSM says where the
homes are. Dasymetric mapping (Mennis 2003, "Generating surface models of
population using dasymetric mapping", *The Professional Geographer*
55(1):31-42; Eicher & Brewer 2001) spreads each cell's count over the
ancillary features that hold people — here the residential floor area of
the buildings in the cell:

    residents_b = Σ_c  pop_c · w_bc / Σ_b' w_b'c,
    w_bc = residential floor area of b × (footprint of b inside c) / (footprint of b)

so that the residents allocated to every cell add up to the cell's count
exactly (the pycnophylactic, or volume-preserving, property). A cell with
people but no residential floor area (homes in a building OSM calls an
office) falls back to the heated floor area of its buildings; a cell with
no heated building at all cannot be allocated and is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin._errors import input_error
from twin.schema import RESIDENTIAL_USES

__all__ = ["read_population_grid", "allocate_residents", "residential_floor_area", "add_residents",
           "residents_from_grid", "Allocation", "POPULATION_COLUMNS"]

#: ``residents_source`` of residents allocated from a population grid.
GRID_SOURCE = "population_grid"

#: Population count columns of the national grids, tried in this order:
#: SSB (pop_tot), SCB (Pop / beftotalt), Statistics Finland (vaesto), DST (befolkning / antal).
POPULATION_COLUMNS = ("population", "pop_tot", "pop", "Pop", "POP", "beftotalt", "Beftotalt",
                      "vaesto", "ASUKKAITA", "befolkning", "antal", "residents")


@dataclass(frozen=True)
class Allocation:
    """The result of :func:`allocate_residents`.

    Parameters
    ----------
    residents : pandas.Series
        Residents per building (on the buildings' index).
    cells : int
        Grid cells with residents that touch the buildings.
    grid_residents : float
        Residents of those cells.
    allocated : float
        Residents allocated to buildings (equals ``grid_residents`` unless
        some cells have no heated building).
    fallback_cells : int
        Cells allocated by heated (not residential) floor area.
    unallocated_cells : list of str
        Ids of cells with residents but no heated building.
    """

    residents: pd.Series
    cells: int
    grid_residents: float
    allocated: float
    fallback_cells: int
    unallocated_cells: list[str]


def read_population_grid(path: str | os.PathLike, *, crs: object | None = None) -> gpd.GeoDataFrame:
    """Read a population grid (polygons with a count column) as ``cell_id, population, geometry``.

    Parameters
    ----------
    path : path-like
        Any vector file GDAL reads (GeoPackage, Shapefile, GeoJSON).
    crs : CRS-like, optional
        Reproject to this CRS.

    Raises
    ------
    InputError
        Unreadable file, no CRS, not polygons, no known count column,
        negative or non-numeric counts.
    """
    path = Path(path)
    where = f"{path}: layer population"
    if not path.is_file():
        raise input_error(where, "file not found", "give the population grid file (e.g. SSB's 250 m grid)")
    try:
        grid = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise input_error(where, f"cannot read ({' '.join(str(exc).split())[:200]})",
                          "give a GeoPackage, Shapefile or GeoJSON of grid cells") from None
    if grid.crs is None:
        raise input_error(where, "the grid has no CRS", "assign it, e.g. `ogr2ogr -a_srs EPSG:25833`")
    if len(grid) == 0:
        raise input_error(where, "the grid has no cells", "give a grid that covers the district")
    col = next((c for c in POPULATION_COLUMNS if c in grid.columns), None)
    if col is None:
        raise input_error(where, f"no population column (the file has {[c for c in grid.columns if c != 'geometry']})",
                          f"name the count column one of {', '.join(POPULATION_COLUMNS[:4])}")
    if not grid.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise input_error(where, "the cells are not polygons",
                          "give the grid as cell polygons (SSB's 'ru250m' squares), not points")
    pop = pd.to_numeric(grid[col], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise input_error(where, f"{int(bad.sum())} cell(s) have no count or a negative count",
                          "give a count >= 0 for every cell", row=rows, column=col)
    id_col = next((c for c in ("cell_id", "ru250m", "ssbid", "Ruta", "rutid", "grd_id", "id") if c in grid.columns),
                  None)
    ids = grid[id_col].astype(str) if id_col else pd.Series([f"cell {i + 1}" for i in range(len(grid))])
    out = gpd.GeoDataFrame({"cell_id": ids.to_numpy(), "population": pop.astype(float).to_numpy()},
                           geometry=grid.geometry.to_numpy(), crs=grid.crs)
    out = out.to_crs(crs) if crs is not None else out
    out.attrs["path"] = str(path)
    return out


def residential_floor_area(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Residential floor area (m²) per building: heated floor area of residential uses, 0 otherwise.

    Uses :func:`twin.energy.floor_area` with the parameters of
    ``twin/params/floor_area.csv`` (one definition of floor area).
    """
    from twin.energy import _FLOOR_AREA, floor_area

    area = floor_area(buildings, storey_height_m=_FLOOR_AREA["storey_height_m"],
                      gross_to_heated_factor=_FLOOR_AREA["gross_to_heated_factor"])
    res = buildings["use"].astype(str).isin(RESIDENTIAL_USES).to_numpy()
    return pd.Series(np.where(res, area.to_numpy(float), 0.0), index=buildings.index,
                     name="residential_floor_area_m2")


def allocate_residents(buildings: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, *,
                       weights: pd.Series, fallback_weights: pd.Series | None = None) -> Allocation:
    """Allocate each cell's residents to the buildings in it, in proportion to their weights.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Building polygons in a metric CRS.
    grid : geopandas.GeoDataFrame
        ``cell_id``, ``population`` and cell polygons (any CRS; reprojected).
    weights : pandas.Series
        Residential floor area per building (on the buildings' index).
    fallback_weights : pandas.Series, optional
        Used in cells where ``weights`` sum to 0 (e.g. heated floor area).

    Returns
    -------
    Allocation
        Residents per building and the conservation bookkeeping.

    Notes
    -----
    A building spanning several cells takes from each cell the share of its
    weight that its footprint has inside the cell.
    """
    grid = grid.to_crs(buildings.crs) if not grid.crs.equals(buildings.crs) else grid
    geoms = buildings.geometry.to_numpy()
    cells = grid.geometry.to_numpy()
    b_idx, c_idx = grid.sindex.query(geoms, predicate="intersects")
    footprint = shapely.area(geoms)
    inside = shapely.area(shapely.intersection(geoms[b_idx], cells[c_idx]))
    real = inside > 0  # a building that only touches a cell's edge is not in it
    b_idx, c_idx, inside = b_idx[real], c_idx[real], inside[real]
    frac = np.where(footprint[b_idx] > 0, inside / np.maximum(footprint[b_idx], 1e-12), 0.0)
    pop = grid["population"].to_numpy(float)
    w = np.asarray(weights, dtype=float)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    fb = np.asarray(fallback_weights, dtype=float) if fallback_weights is not None else np.zeros(len(w))
    fb = np.where(np.isfinite(fb) & (fb > 0), fb, 0.0)
    n_cells = len(grid)
    wp = w[b_idx] * frac
    cell_w = np.bincount(c_idx, weights=wp, minlength=n_cells)
    use_fb = (cell_w <= 0) & (pop > 0)
    fp = fb[b_idx] * frac
    cell_fb = np.bincount(c_idx, weights=fp, minlength=n_cells)
    pair_w = np.where(use_fb[c_idx], fp, wp)
    denom = np.where(use_fb, cell_fb, cell_w)
    share = np.where(denom[c_idx] > 0, pair_w / np.where(denom[c_idx] > 0, denom[c_idx], 1.0), 0.0)
    residents = np.bincount(b_idx, weights=pop[c_idx] * share, minlength=len(buildings))
    touched = np.zeros(n_cells, bool)
    touched[c_idx] = True
    populated = touched & (pop > 0)
    unalloc = populated & (denom <= 0)
    return Allocation(
        residents=pd.Series(residents, index=buildings.index, name="residents"),
        cells=int(populated.sum()),
        grid_residents=float(pop[populated].sum()),
        allocated=float(residents.sum()),
        fallback_cells=int((use_fb & populated & (cell_fb > 0)).sum()),
        unallocated_cells=[str(x) for x in grid["cell_id"].to_numpy()[unalloc]],
    )


def add_residents(buildings: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, *,
                  context: gpd.GeoDataFrame | None = None, where: str = "population grid"
                  ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Set ``residents`` of imported buildings from a population grid.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        The district's buildings (``use``, ``floors``/``height_m``, polygons; metric CRS).
    grid : geopandas.GeoDataFrame
        As read by :func:`read_population_grid`.
    context : geopandas.GeoDataFrame, optional
        Buildings outside the district that share its edge cells (from the
        same source, same columns): they take their share of those cells'
        residents, so the district's edge cells are not overfilled.
    where : str
        The grid file, for messages.

    Returns
    -------
    (buildings, cells, note)
        Buildings with ``residents``; the grid cells that touch them; a
        one-line description of the allocation for the import summary.

    Warns
    -----
    UserWarning
        When cells with residents have no heated building (residents lost).
    """
    import warnings

    grid = grid.to_crs(buildings.crs)
    b_hit, c_hit = grid.sindex.query(buildings.geometry.to_numpy(), predicate="intersects")
    real = shapely.area(shapely.intersection(buildings.geometry.to_numpy()[b_hit],
                                             grid.geometry.to_numpy()[c_hit])) > 0
    cells = grid.iloc[np.unique(c_hit[real])].reset_index(drop=True)
    if len(cells) == 0:
        raise input_error(where, "no grid cell touches the buildings",
                          "give the grid of the district's area (and check its CRS)")
    allb = buildings if context is None or len(context) == 0 else \
        pd.concat([buildings, context], ignore_index=True)
    allb = gpd.GeoDataFrame(allb, geometry=allb.geometry.name, crs=buildings.crs).reset_index(drop=True)
    weights = residential_floor_area(allb)
    from twin.energy import _FLOOR_AREA, floor_area

    heated = floor_area(allb, storey_height_m=_FLOOR_AREA["storey_height_m"],
                        gross_to_heated_factor=_FLOOR_AREA["gross_to_heated_factor"])
    heated = heated.where(allb["use"].astype(str) != "unheated", 0.0)
    alloc = allocate_residents(allb, cells, weights=weights, fallback_weights=heated)
    out = buildings.copy()
    out["residents"] = alloc.residents.to_numpy()[: len(buildings)]
    out["residents_source"] = pd.array([GRID_SOURCE] * len(out), dtype="str")
    if alloc.unallocated_cells:
        shown = ", ".join(alloc.unallocated_cells[:5])
        warnings.warn(f"{where}: {len(alloc.unallocated_cells)} cell(s) with residents have no heated building "
                      f"in the data and their residents are not allocated: {shown}", UserWarning, stacklevel=2)
    note = (f"population grid ({Path(where).name}): {alloc.cells} cells with "
            f"{alloc.grid_residents:,.0f} residents allocated by residential floor area "
            f"(dasymetric); {float(out['residents'].sum()):,.0f} in the district's buildings"
            + (f"; {alloc.fallback_cells} cells by heated floor area" if alloc.fallback_cells else ""))
    return out, cells, note


def residents_from_grid(buildings: gpd.GeoDataFrame, grid: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Residents of a district's buildings from its population grid, where the data give none.

    A district whose ``buildings`` have no ``residents`` at all but whose
    manifest names a ``population`` grid gets them by dasymetric allocation
    (:func:`add_residents`; ``residents_source = population_grid``).
    Buildings with registered residents are left as they are.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        The district's validated buildings.
    grid : geopandas.GeoDataFrame
        As read by :func:`read_population_grid`.

    Returns
    -------
    geopandas.GeoDataFrame
        The buildings, with ``residents`` when they had none.
    """
    has = "residents" in buildings.columns and pd.to_numeric(buildings["residents"], errors="coerce").notna().any()
    if has or len(buildings) == 0:
        return buildings
    try:
        return add_residents(buildings, grid, where=str(grid.attrs.get("path", "population grid")))[0]
    except ValueError:  # no cell touches the buildings: residents stay estimated from floor area
        return buildings
