"""The result of evaluating one scenario on one district."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from twin.raster import Raster


@dataclass(frozen=True)
class Result:
    """Everything one scenario evaluation produced.

    Parameters
    ----------
    scenario : str
        Scenario name.
    description : str or dict
        Scenario description (user text), or one text per language
        (:func:`twin._text.local` picks one).
    district : str
        District name.
    crs : str
        CRS of all layers (e.g. ``"EPSG:25833"``).
    buildings : geopandas.GeoDataFrame
        Per-building results (the contract's columns and more).
    layers : dict of str to GeoDataFrame
        Other vector layers for the map: ``heat_network`` (with
        ``heat_density_mwh_m_yr`` and ``density_class``), ``heat_plants``,
        ``charging_points``, ``basins``, ``depressions`` (with ``water_depth_m``
        / ``water_volume_m3``), ``charging_gap`` (250 m grid), ``streets``.
        Absent layers are missing keys.
    indicators : dict
        The ``indicators.json`` content (contract keys, ``targets``).
    water_depth : Raster | None
        Water depth after the rain event (NaN or 0 where dry).
    synthetic : bool
        Whether the district data are synthetic.
    attribution : str or dict
        Data sources and licences, shown on the map (or one text per language).
    year : int
        Scenario year.
    extra : dict
        Anything else (reports per module).
    title : str, dict or None
        Scenario title for people (or one per language); maps show it
        instead of the ``scenario`` name when given.
    """

    scenario: str
    description: str | dict[str, str]
    district: str
    crs: str
    buildings: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    indicators: dict[str, Any]
    water_depth: Raster | None = None
    synthetic: bool = False
    attribution: str | dict[str, str] = ""
    year: int = 2025
    extra: dict[str, Any] = field(default_factory=dict)
    title: str | dict[str, str] | None = None
