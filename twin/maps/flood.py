"""The map of a stand-alone flood screening (``twin flood``).

The screening's outputs become a :class:`~twin.result.Result` with the flood
layers only, drawn by :func:`twin.maps.scenario_map` with the flood theme:
water depth per cell, outlines of the low-lying areas with their typical and
deepest depth, basins, and the buildings coloured by the water around them.
"""

from __future__ import annotations

import geopandas as gpd

from twin.maps._page import TwinMap
from twin.maps.scenario import scenario_map
from twin.raster import Raster
from twin.result import Result


def flood_map(depressions: gpd.GeoDataFrame, water_depth: Raster | None, *,
              buildings: gpd.GeoDataFrame | None = None,
              basins: gpd.GeoDataFrame | None = None, rain_mm: float | None = None,
              balance: dict[str, float] | None = None, flooded_buildings: int | None = None,
              name: str = "", lang: str = "en", audience: str = "planner") -> TwinMap:
    """An offline map of a flood screening (the layers of :class:`twin.flood.FloodResult`).

    Parameters
    ----------
    depressions : GeoDataFrame
        Low-lying areas (``FloodResult.depressions``).
    water_depth : Raster or None
        Water depth per cell after the rain.
    buildings, basins : GeoDataFrame, optional
        Buildings with ``flood_depth_m`` and the basins, same CRS.
    rain_mm : float, optional
        The rain event.
    balance : dict, optional
        The water balance (``stored_m3``, ``basin_m3``) for the panel.
    flooded_buildings : int, optional
        Buildings counted as flooded.
    name : str
        Title (e.g. the DEM's file name).
    lang, audience : str
        Language and audience.
    """
    crs = depressions.crs
    b = buildings if buildings is not None else gpd.GeoDataFrame(geometry=[], crs=crs)
    layers = {"depressions": depressions}
    if basins is not None and len(basins):
        layers["basins"] = basins
    bal = balance or {}
    ind = {"rain_mm": rain_mm, "flood_volume_m3": bal.get("stored_m3"),
           "basin_storage_m3": bal.get("basin_m3"), "flooded_buildings": flooded_buildings}
    ind = {k: v for k, v in ind.items() if v is not None}
    result = Result(scenario=name or "flood", description="", district=name, crs=str(crs),
                    buildings=b, layers=layers, indicators=ind, water_depth=water_depth)
    return scenario_map(result, lang=lang, audience=audience, offline=True, color_by="flood")
