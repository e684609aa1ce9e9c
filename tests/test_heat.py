"""Tests of twin.heat: linear heat density on a tiny network."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from twin.energy import EnergyParams, estimate_buildings
from twin.heat import classify_density, linear_heat_density, network_report

CRS = "EPSG:25833"


def tiny():
    # existing trunk 0..100 m along y=0, planned branch 100..200 m
    net = gpd.GeoDataFrame(
        {"network_id": ["A", "A"], "planned": [False, True]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)])], crs=CRS)
    # given delivered district heat (kWh/yr) so the arithmetic is by hand
    b = gpd.GeoDataFrame(
        {"building_id": ["b1", "b2", "b3", "b4"],
         "dh_connected": [True, True, True, False],
         "delivered_district_heat_kwh_yr": [60_000.0, 40_000.0, 30_000.0, 0.0],
         "heat_kwh_yr": [59_400.0, 39_600.0, 29_700.0, 80_000.0]},
        geometry=[box(10, 5, 20, 15), box(60, -20, 70, -10), box(150, 5, 160, 15),
                  box(180, 10, 190, 20)], crs=CRS)
    return net, b


def test_linear_heat_density_by_hand():
    net, b = tiny()
    seg = linear_heat_density(net, b)
    assert seg["length_m"].tolist() == [100.0, 100.0]
    # segment 0 carries b1 + b2 = 100 MWh over 100 m -> 1.0 MWh/m yr (fair)
    # segment 1 carries b3 = 30 MWh over 100 m -> 0.3 MWh/m yr (poor); b4 not connected
    assert seg["heat_mwh_yr"].tolist() == pytest.approx([100.0, 30.0])
    assert seg["heat_density_mwh_m_yr"].tolist() == pytest.approx([1.0, 0.3])
    assert seg["density_class"].tolist() == ["fair", "poor"]
    assert seg["buildings_connected"].tolist() == [2, 1]
    # conservation: all connected heat lands on some segment
    assert seg["heat_mwh_yr"].sum() == pytest.approx(
        b.loc[b.dh_connected, "delivered_district_heat_kwh_yr"].sum() / 1000)


def test_network_report_existing_vs_extension():
    net, b = tiny()
    rep = network_report(net, b)
    assert rep["existing"]["length_m"] == 100.0 and rep["planned"]["length_m"] == 100.0
    assert rep["existing"]["heat_density_mwh_m_yr"] == pytest.approx(1.0)
    assert rep["extension_heat_mwh_yr"] == pytest.approx(30.0)
    assert rep["total"]["heat_density_mwh_m_yr"] == pytest.approx(130.0 / 200.0)
    # potential of the extension: b3 + b4 heat (connected or not) = 29.7 + 80 MWh
    assert rep["extension_potential_heat_mwh_yr"] == pytest.approx(109.7)
    # b4 is 10 m from the line: excluded within 5 m, b3 too (5 m away -> kept at 5)
    assert network_report(net, b, within_m=5.0)["extension_potential_heat_mwh_yr"] == \
        pytest.approx(29.7)
    assert rep["networks"]["A"]["length_m"] == 200.0


def test_density_bands():
    got = classify_density(np.array([0.0, 0.49, 0.5, 1.5, 3.0, np.nan]))
    assert list(got) == ["poor", "poor", "fair", "good", "good", "unknown"]


def test_with_estimate_buildings():
    net, _ = tiny()
    b = gpd.GeoDataFrame(
        {"building_id": ["a", "b"], "use": ["apartment", "office"], "year": [1965, 2022],
         "heating": ["district_heating", "oil"], "floor_area_m2": [2000.0, 1000.0]},
        geometry=[box(10, 5, 30, 25), box(120, 5, 140, 25)], crs=CRS)
    r = estimate_buildings(b, net, params=EnergyParams(emission_set="no_physical", year=2022,
                                                       connect_within_m=10.0))
    assert r["dh_connected"].tolist() == [True, True]
    seg = linear_heat_density(net, r)
    assert seg["heat_mwh_yr"].tolist() == pytest.approx(
        (r["delivered_district_heat_kwh_yr"] / 1000).tolist())
