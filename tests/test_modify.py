"""Scenario modifications on a tiny district: each one changes exactly what it says."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box
from test_district import CRS, X0, Y0, make_district

import twin
from twin import InputError
from twin.modify import apply_scenario
from twin.pipeline import evaluate


def scenario(tmp_path: Path, text: str) -> twin.scenario.Scenario:
    p = tmp_path / "s.yaml"
    p.write_text("name: s\n" + text, encoding="utf-8")
    return twin.load_scenario(p)


@pytest.fixture
def district(tmp_path):
    return twin.load_district(make_district(tmp_path / "district"))


def test_demolish_retrofit_change_heating(district, tmp_path):
    sc = scenario(tmp_path, """
modifications:
  - demolish: {ids: [b3]}
  - retrofit: {where: {use: [apartment], year_max: 1970}, to: TEK17}
  - change_heating: {where: {heating: [oil]}, to: hp_ground}
""")
    d = apply_scenario(district, sc).district
    assert d.buildings["building_id"].tolist() == ["b1", "b2"]
    b1 = d.buildings.set_index("building_id").loc["b1"]
    assert b1["building_code"] == "TEK17" and b1["heating"] == "hp_ground"
    assert len(district.buildings) == 3  # the input district is unchanged
    base = evaluate(district, None).buildings.set_index("building_id")
    after = evaluate(district, sc).buildings.set_index("building_id")
    assert after.loc["b1", "need_space_heating_kwh_yr"] < base.loc["b1", "need_space_heating_kwh_yr"]
    assert after.loc["b1", "co2_kg_yr"] < base.loc["b1", "co2_kg_yr"]
    assert "b3" not in after.index
    assert after.loc["b1", "building_condition"] == "original_condition"  # rebuilt to TEK17


def test_retrofit_to_an_ebm_condition(district, tmp_path):
    sc = scenario(tmp_path, """
modifications:
  - retrofit: {where: {ids: [b1]}, condition: renovation_and_small_measure}
""")
    base = evaluate(district, sc.model_copy(update={"modifications": ()})).buildings.set_index("building_id")
    after = evaluate(district, sc).buildings.set_index("building_id")
    assert after.loc["b1", "building_condition"] == "renovation_and_small_measure"
    # EBM: renovation and small measure cut the space-heating need by 25 % (TEK17: 7 %)
    expected = 0.93 if after.loc["b1", "building_code"] == "TEK17" else 0.75
    assert after.loc["b1", "space_heating_condition_factor"] == pytest.approx(expected)
    assert after.loc["b1", "need_space_heating_kwh_yr"] == pytest.approx(
        base.loc["b1", "need_space_heating_kwh_yr"] / base.loc["b1", "space_heating_condition_factor"] * expected)


def test_add_buildings_from_file_and_planned_year(district, tmp_path):
    new = gpd.GeoDataFrame({"building_id": ["n1"], "use": ["school"], "floors": [2], "year": [2031],
                            "heating": ["district_heating"]}, geometry=[box(X0 + 140, Y0 + 60, X0 + 170, Y0 + 80)],
                           crs=CRS)
    new.to_file(tmp_path / "new.gpkg")
    sc = scenario(tmp_path, "modifications:\n  - add_buildings: {file: new.gpkg}\n")
    r = evaluate(district, sc)
    assert r.indicators["buildings"] == 4
    n1 = r.buildings.set_index("building_id").loc["n1"]
    assert n1["floor_area_m2"] > 0 and n1["jobs"] > 0 and n1["dh_connected"]


def test_add_buildings_with_a_clashing_id_is_an_input_error(district, tmp_path):
    new = gpd.GeoDataFrame({"building_id": ["b1"], "use": ["house"], "floors": [2], "year": [2030],
                            "heating": ["electric"]}, geometry=[box(X0 + 140, Y0 + 60, X0 + 150, Y0 + 70)], crs=CRS)
    new.to_file(tmp_path / "new.gpkg")
    sc = scenario(tmp_path, "modifications:\n  - add_buildings: {file: new.gpkg}\n")
    with pytest.raises(InputError, match="ids already in the district: b1"):
        apply_scenario(district, sc)


def test_heat_network_extension_and_connection(district, tmp_path):
    ext = gpd.GeoDataFrame({"network_id": ["n1"]}, geometry=[LineString([(X0 + 25, Y0 + 50), (X0 + 25, Y0 + 27)])],
                           crs=CRS)
    ext.to_file(tmp_path / "ext.gpkg")
    sc = scenario(tmp_path, """
modifications:
  - extend_heat_network: {file: ext.gpkg}
  - connect_district_heating: {within_m: 5}
""")
    r = evaluate(district, sc)
    net = r.layers["heat_network"]
    assert net["planned"].tolist() == [False, True]
    b = r.buildings.set_index("building_id")
    assert b.loc["b1", "dist_heat_network_m"] == pytest.approx(2.0)  # block b1 ends at y = 25
    assert bool(b.loc["b1", "dh_connected"]) and b.loc["b1", "heating"] == "district_heating"
    assert not bool(b.loc["b3", "dh_connected"])


def test_add_and_remove_chargers_and_coverage(district, tmp_path):
    cps = gpd.GeoDataFrame({"charger_id": ["c9"], "kw": [50.0], "connectors": [4], "public": [True]},
                           geometry=[Point(X0 + 125, Y0 + 35)], crs=CRS)
    cps.to_file(tmp_path / "cps.gpkg")
    sc = scenario(tmp_path, """
modifications:
  - remove_chargers: {ids: [c1]}
  - add_chargers: {file: cps.gpkg}
""")
    r = evaluate(district, sc)
    assert r.indicators["public_chargers"] == 1
    b = r.buildings.set_index("building_id")
    assert b.loc["b3", "dist_charger_m"] == pytest.approx(5.0)  # b3 spans y 20-30; charger at y 35


def test_place_chargers_to_reach_coverage(district, tmp_path):
    sc = scenario(tmp_path, """
parameters: {walk_distance_m: 20}
modifications:
  - add_chargers: {target_coverage: 1.0, kw: 11, connectors: 2}
""")
    base = evaluate(district, twin.scenario.Scenario(name="b", parameters={"walk_distance_m": 20}))
    r = evaluate(district, sc)
    assert base.indicators["charger_coverage_share"] < 1.0
    assert r.indicators["charger_coverage_share"] == pytest.approx(1.0)


def test_car_ownership_and_mode_shift_lower_car_km(district, tmp_path):
    base = evaluate(district, None).indicators
    fewer_cars = evaluate(district, scenario(tmp_path, "parameters: {car_ownership_factor: 0.5}\n")).indicators
    more_ev = evaluate(district, scenario(tmp_path, "parameters: {ev_share: 0.9}\n")).indicators
    assert fewer_cars["car_km_yr"] < base["car_km_yr"]
    assert fewer_cars["co2_transport_t_yr"] < base["co2_transport_t_yr"]
    assert more_ev["car_km_yr"] == pytest.approx(base["car_km_yr"])
    assert more_ev["co2_transport_t_yr"] < base["co2_transport_t_yr"]


def test_add_basins_from_file(district, tmp_path):
    basins = gpd.GeoDataFrame({"basin_id": ["bb1"], "volume_m3": [100.0]},
                              geometry=[box(X0 + 150, Y0 + 150, X0 + 170, Y0 + 170)], crs=CRS)
    basins.to_file(tmp_path / "basins.gpkg")
    sc = scenario(tmp_path, "parameters: {rain_mm: 50}\nmodifications:\n  - add_basins: {file: basins.gpkg}\n")
    r = evaluate(district, sc)
    assert "basins" in r.layers and r.layers["basins"]["basin_id"].tolist() == ["bb1"]
    bal = r.extra["flood_balance"]
    assert bal["stored_m3"] + bal["basin_m3"] + bal["outflow_m3"] + bal["loss_m3"] == pytest.approx(bal["rain_m3"],
                                                                                                    rel=1e-6)
    assert bal["basin_m3"] > 0  # rain on the basin itself at least


def test_unknown_ids_are_input_errors(district, tmp_path):
    sc = scenario(tmp_path, "modifications:\n  - demolish: {ids: [b1, nope]}\n")
    with pytest.raises(InputError, match="demolish.ids.*no building with id nope"):
        apply_scenario(district, sc)
    sc = scenario(tmp_path, "modifications:\n  - remove_chargers: {ids: [c7]}\n")
    with pytest.raises(InputError, match="no charging point with id c7"):
        apply_scenario(district, sc)
