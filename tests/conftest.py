"""Shared fixtures: a tiny fake scenario :class:`~twin.result.Result` for map tests.

The district is six buildings in EPSG:25833 (central Oslo, UTM 33N) with
hand-set results, one of them named with an HTML payload and one with
missing values, plus one element of every other map layer.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from twin.result import Result

CRS = "EPSG:25833"
X0, Y0 = 262_000.0, 6_649_000.0
HOSTILE = "<img src=x onerror=alert(1)>"


def _buildings() -> gpd.GeoDataFrame:
    rows = [
        # id, use, name, address, area, res, jobs, heating, dh, heat, el, co2, d_hn,
        # car_km, ev, co2_tr, d_ch, flood, low
        ("B1", "apartment", "Solbakken borettslag", "Storgata 1", 2000.0, 60.0, 0.0,
         "district_heating", True, 180_000.0, 60_000.0, 4_000.0, 5.0,
         300_000.0, 20_000.0, 30_000.0, 80.0, 0.0, False),
        ("B2", "house", HOSTILE, "Storgata 3 & 5", 150.0, 3.0, 0.0,
         "oil", False, 25_000.0, 5_000.0, 7_000.0, 120.0,
         30_000.0, 1_000.0, 4_000.0, 260.0, 0.42, True),
        ("B3", "office", "Kontorbygget", "Storgata 7", 4000.0, 0.0, 200.0,
         "hp_ground", False, 200_000.0, 400_000.0, 6_000.0, 40.0,
         100_000.0, 10_000.0, 10_000.0, 30.0, 0.05, False),
        ("B4", "school", None, None, 3000.0, 0.0, 60.0,
         "electric", False, math.nan, math.nan, math.nan, math.nan,
         math.nan, math.nan, math.nan, math.nan, math.nan, False),
        ("B5", "row_house", "Rekka", "Bakken 2", 400.0, 10.0, 0.0,
         "district_heating", True, 40_000.0, 12_000.0, 900.0, 10.0,
         80_000.0, 5_000.0, 8_000.0, 600.0, 1.2, True),
        ("B6", "unheated", "Garasje", "Bakken 4", 50.0, 0.0, 0.0,
         "none", False, 0.0, 0.0, 0.0, 200.0,
         0.0, 0.0, 0.0, 1200.0, 0.0, False),
    ]
    cols = ["building_id", "use", "name", "address", "floor_area_m2", "residents", "jobs",
            "heating", "dh_connected", "heat_kwh_yr", "electricity_kwh_yr", "co2_kg_yr",
            "dist_heat_network_m", "car_km_yr", "ev_kwh_yr", "co2_transport_kg_yr",
            "dist_charger_m", "flood_depth_m", "in_low_lying_area"]
    df = pd.DataFrame(rows, columns=cols)
    df["energy_kwh_yr"] = df["heat_kwh_yr"] + df["electricity_kwh_yr"]
    # 40 m x 20 m boxes in a row, 30 m apart (x), big enough to click at zoom 17+
    geoms = [shapely.box(X0 + 60.0 * i, Y0, X0 + 60.0 * i + 40.0, Y0 + 20.0)
             for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS)


def _layers() -> dict[str, gpd.GeoDataFrame]:
    def gdf(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)

    return {
        "heat_network": gdf(
            [{"network_id": "N1", "heat_density_mwh_m_yr": 2.5, "density_class": "high",
              "planned": False},
             {"network_id": "N1", "heat_density_mwh_m_yr": 0.4, "density_class": "low",
              "planned": True}],
            [shapely.LineString([(X0 - 20, Y0 - 10), (X0 + 200, Y0 - 10)]),
             shapely.LineString([(X0 + 200, Y0 - 10), (X0 + 350, Y0 - 10)])]),
        "heat_plants": gdf([{"plant_id": "P1", "name": "Varmesentralen", "capacity_mw": 12.0,
                             "source": "seawater heat pump"}],
                           [shapely.Point(X0 - 30, Y0 - 30)]),
        "charging_points": gdf(
            [{"charger_id": "C1", "kw": 22.0, "connectors": 2, "public": True,
              "name": "Torget lading"},
             {"charger_id": "C2", "kw": 50.0, "connectors": 1, "public": False, "name": None}],
            [shapely.Point(X0 + 100, Y0 + 60), shapely.Point(X0 + 300, Y0 + 60)]),
        "basins": gdf([{"basin_id": "BA1", "volume_m3": 500.0, "stored_m3": 200.0,
                        "name": "Parkdammen"}],
                      [shapely.box(X0 + 120, Y0 + 80, X0 + 170, Y0 + 110)]),
        "depressions": gdf(
            [{"depression_id": "D1", "area_m2": 1200.0, "max_depth_m": 0.9, "volume_m3": 500.0,
              "water_depth_max_m": 0.6, "water_volume_m3": 300.0},
             {"depression_id": "D2", "area_m2": 300.0, "max_depth_m": 0.3, "volume_m3": 40.0,
              "water_depth_max_m": 0.0, "water_volume_m3": 0.0}],
            [shapely.box(X0 + 50, Y0 - 60, X0 + 110, Y0 - 30),
             shapely.box(X0 + 250, Y0 - 60, X0 + 280, Y0 - 40)]),
        "charging_gap": gdf([{"gap_kwh_day": 120.0}, {"gap_kwh_day": 0.0}],
                            [shapely.box(X0, Y0, X0 + 250, Y0 + 250),
                             shapely.box(X0 + 250, Y0, X0 + 500, Y0 + 250)]),
        "streets": gdf([{"street_id": "S1", "name": "Storgata", "highway": "residential"}],
                       [shapely.LineString([(X0 - 50, Y0 + 40), (X0 + 400, Y0 + 40)])]),
    }


def _indicators(scenario: str, co2: float) -> dict:
    return {
        "scenario": scenario, "buildings": 6, "floor_area_m2": 9600.0, "residents": 73.0,
        "jobs": 260.0, "energy_mwh_yr": 922.0, "heat_mwh_yr": 445.0,
        "electricity_mwh_yr": 477.0, "co2_buildings_t_yr": 17.9, "co2_transport_t_yr": 52.0,
        "co2_total_t_yr": co2, "co2_per_resident_kg_yr": 1000.0 * co2 / 73.0,
        "dh_connected_share": 2 / 6, "charger_coverage_share": 0.5,
        "ev_charging_mwh_yr": 36.0, "car_km_yr": 510_000.0, "rain_mm": 50.0,
        "flood_volume_m3": 300.0, "basin_storage_m3": 200.0, "flooded_buildings": 2,
        "targets": {
            "co2_total_t_yr": {"value": co2, "threshold": 60.0, "met": co2 <= 60.0},
            "dh_connected_share": {"value": 2 / 6, "threshold": 0.5, "met": False},
            "<b>bold</b> target": {"value": 1.0, "threshold": 0.0, "met": True},
        },
    }


def make_result(scenario: str = "baseline", *, co2: float = 69.9,
                synthetic: bool = True) -> Result:
    """A small fake Result (see module docstring)."""
    return Result(
        scenario=scenario,
        description="Test scenario <script>alert('desc')</script> & more",
        district="Testby", crs=CRS, buildings=_buildings(), layers=_layers(),
        indicators=_indicators(scenario, co2), synthetic=synthetic,
        attribution="Synthetic test data <i>CC0</i>")


@pytest.fixture
def tiny_result() -> Result:
    """A tiny fake scenario result (six buildings, every map layer)."""
    return make_result()


@pytest.fixture
def tiny_result_pair() -> list[Result]:
    """Two fake results for the comparison page (second with lower CO2)."""
    return [make_result("baseline", co2=69.9), make_result("district heating", co2=55.0)]

# Property tests draw the same examples on every machine (CI included): a failure is
# reproducible, not a chance find of one run. ``HYPOTHESIS_PROFILE=explore`` searches anew.
import os  # noqa: E402

from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("ci", derandomize=True, database=None)
_hyp_settings.register_profile("explore", derandomize=False)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
