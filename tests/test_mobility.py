"""Tests of twin.mobility and twin.charging on tiny hand-checkable districts (EPSG:25833)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from twin._errors import InputError
from twin.charging import nearest_distance_network, street_graph
from twin.mobility import (
    MODES,
    MobilityParams,
    charger_coverage_share,
    chargers_needed,
    charging_gap_grid,
    estimate_mobility,
    mobility_summary,
    parameter_table,
    place_chargers,
)

CRS = "EPSG:25833"


def P(table: str, parameter: str, key: str = "all") -> float:
    t = parameter_table(table)
    return float(t[(t["parameter"] == parameter) & (t["key"] == key)]["value"].iloc[0])


def buildings(rows: list[dict]) -> gpd.GeoDataFrame:
    geoms = [r["geometry"] for r in rows]
    df = pd.DataFrame([{k: v for k, v in r.items() if k != "geometry"} for r in rows])
    if "building_id" not in df.columns:
        df["building_id"] = [f"b{i}" for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS)


def chargers(points: list[tuple[float, float]], public: list[bool] | None = None,
             kw: float = 22.0, connectors: int = 2) -> gpd.GeoDataFrame:
    n = len(points)
    return gpd.GeoDataFrame(
        {"charger_id": [f"c{i}" for i in range(n)], "kw": [kw] * n,
         "connectors": [connectors] * n, "public": public if public is not None else [True] * n},
        geometry=[shapely.Point(p) for p in points], crs=CRS)


@pytest.fixture
def block() -> gpd.GeoDataFrame:
    """A 10 m x 10 m block of 100 apartments."""
    return buildings([{"use": "apartment", "floor_area_m2": 7000.0, "dwellings": 100,
                       "geometry": shapely.box(0, 0, 10, 10)}])


@pytest.fixture
def two_chargers() -> gpd.GeoDataFrame:
    """Public chargers 250 m east and 350 m north of the block's footprint, one private at 5 m."""
    return chargers([(260, 5), (5, 360), (15, 5)], public=[True, True, False])


# ----------------------------------------------------------------------- hand-computed districts
def test_block_of_100_dwellings(block, two_chargers):
    out = estimate_mobility(block, two_chargers, params=MobilityParams())
    # SSB register 2016: 940,145 persons in 556,057 households in blocks of flats = 1.69 -> 169 residents
    assert out["residents"].iloc[0] == pytest.approx(169.0)
    assert out["jobs"].iloc[0] == 0.0
    assert out["dist_charger_m"].iloc[0] == pytest.approx(250.0)  # the private one at 5 m is ignored
    assert charger_coverage_share(out, 300.0) == 1.0
    assert charger_coverage_share(out, 200.0) == 0.0
    # by hand: 85.5 % aged 13+ x 3.26 trips/day x car-driver share (57 % car x 0.828 driver / 0.99) x 14.5 km
    # x 365 days = 0.855 * 3.26 * 0.476727 * 14.5 * 365 = 7 032.6 km per resident per year
    assert out["car_km_yr"].iloc[0] / 169.0 == pytest.approx(7032.6, abs=0.1)
    assert out is not block and "car_km_yr" not in block.columns  # input untouched


def test_car_km_per_resident_near_ssb_vehicle_km_per_inhabitant(block, two_chargers):
    """A published reference the model does not read: SSB, Kjørelengder 2019 (release of 24 March 2020, as
    reported by NTB/motor.no): Norwegian passenger cars drove 35.5 billion km in 2019; SSB's population was
    5,367,580 on 1 January 2020 after growth of 39,400 in 2019 (release of 27 February 2020), so about
    5,347,880 inhabitants on average in 2019 and 6 638 km per inhabitant. Residents' car-driver km of the
    model (RVU mode shares of Bærum) should be within +/-15 %: the SSB figure also holds business driving
    and driving abroad, while Bærum's residents own more cars than the average (the model gives +6 %)."""
    out = estimate_mobility(block, two_chargers, params=MobilityParams())
    per_resident = out["car_km_yr"].iloc[0] / out["residents"].iloc[0]
    reference = 35.5e9 / (5_367_580 - 39_400 / 2)
    assert reference == pytest.approx(6638, abs=1)
    assert 0.85 * reference < per_resident < 1.15 * reference


def test_office_with_200_jobs():
    # Statsbygg norm 23 m2 per office job: 4 600 m2 -> 200 jobs
    office = buildings([{"use": "office", "floor_area_m2": 4600.0, "geometry": shapely.box(0, 0, 40, 40)}])
    out = estimate_mobility(office, chargers([(100, 100)]), params=MobilityParams())
    assert out["jobs"].iloc[0] == pytest.approx(200.0)
    assert out["residents"].iloc[0] == 0.0
    # no residents in the district: every job is held by an in-commuter;
    # 200 jobs x 2 trips x 226 working days x 0.476727 driver share x 14.5 km = 624 894 km
    by_hand = 200 * 2 * 226 * (0.57 * 0.828 / 0.99) * 14.5
    assert by_hand == pytest.approx(624_894, abs=1)
    assert out["car_km_yr"].iloc[0] == pytest.approx(by_hand)
    # tailpipe per fossil km: 60 % diesel at 0.065 l/km x 2.66 kg/l + 40 % petrol at 0.075 l/km x 2.32 kg/l
    co2_km = 0.56 * 0.065 * 2.66 + 0.44 * 0.075 * 2.32  # 0.173384 kg/km (SSB 2022 diesel share 0.56)
    p = MobilityParams(ev_share=0.4)
    out = estimate_mobility(office, chargers([(100, 100)]), params=p)
    assert out["co2_transport_kg_yr"].iloc[0] == pytest.approx(by_hand * 0.6 * co2_km)
    assert out["ev_kwh_yr"].iloc[0] == pytest.approx(by_hand * 0.4 * 0.20)  # NVE: 0.2 kWh/km at the plug


def test_no_double_counting_of_internal_commutes():
    """Jobs held by district residents add no car-km at the workplace."""
    res = buildings([{"use": "apartment", "floor_area_m2": 1.0, "residents": 1000.0,
                      "geometry": shapely.box(0, 0, 10, 10)}])
    both = pd.concat([res, buildings([{"use": "office", "floor_area_m2": 1.0, "jobs": 50.0,
                                       "geometry": shapely.box(50, 0, 60, 10)}])], ignore_index=True)
    both = gpd.GeoDataFrame(both, crs=CRS)
    out = estimate_mobility(both, chargers([(0, 0)]), params=MobilityParams())
    # employed residents x internal share >= 50 jobs -> all jobs held inside
    assert 1000 * P("mobility_persons", "employed_per_resident") * P("mobility_persons", "internal_work_share") >= 50
    assert out["car_km_yr"].iloc[1] == 0.0
    alone = estimate_mobility(res, chargers([(0, 0)]), params=MobilityParams())
    assert out["car_km_yr"].sum() == pytest.approx(alone["car_km_yr"].sum())


def test_data_columns_used_as_given_and_nulls_filled(block, two_chargers):
    b = pd.concat([block, block], ignore_index=True)
    b["residents"] = [123.0, None]
    b["jobs"] = [7.0, None]
    out = estimate_mobility(gpd.GeoDataFrame(b, crs=CRS), two_chargers, params=MobilityParams())
    assert out["residents"].tolist() == pytest.approx([123.0, 169.0])  # 100 dwellings x 1.69 (SSB 2016)
    assert out["jobs"].tolist() == [7.0, 0.0]


# ----------------------------------------------------------------------- network distance
def l_street() -> gpd.GeoDataFrame:
    """An L: two lines sharing the corner vertex (100, 0)."""
    return gpd.GeoDataFrame({"street_id": ["a", "b"]},
                            geometry=[shapely.LineString([(0, 0), (100, 0)]),
                                      shapely.LineString([(100, 0), (100, 100)])], crs=CRS)


def test_straight_line_vs_network_on_l_street():
    b = buildings([{"use": "house", "floor_area_m2": 150.0, "geometry": shapely.box(-20, -5, -10, 5)}])
    c = chargers([(110, 100)])
    straight = estimate_mobility(b, c, params=MobilityParams())["dist_charger_m"].iloc[0]
    network = estimate_mobility(b, c, params=MobilityParams(), streets=l_street())["dist_charger_m"].iloc[0]
    assert straight == pytest.approx(math.hypot(120, 95))  # box corner (-10, 5) to (110, 100)
    assert network == pytest.approx(10 + 200 + 10)  # snap + L length + snap


def test_network_charger_on_node_and_unreachable():
    streets = pd.concat([l_street(), gpd.GeoDataFrame(
        {"street_id": ["far"]}, geometry=[shapely.LineString([(1000, 1000), (1100, 1000)])], crs=CRS)])
    geoms = gpd.GeoSeries([shapely.Point(0, 0), shapely.Point(1050, 1000)], crs=CRS)
    d = nearest_distance_network(geoms, gpd.GeoSeries([shapely.Point(100, 100)], crs=CRS), streets)
    assert d[0] == pytest.approx(200.0)  # zero snap distances are kept as edges
    assert np.isnan(d[1])  # the far street is another component
    assert street_graph(streets, max_segment_m=None).n_edges == 3
    assert street_graph(streets).n_edges == 12  # densified to 25 m segments


def test_network_distance_agrees_with_networkx():
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(3)
    # a 6 x 6 lattice with jittered nodes
    xy = {(i, j): (i * 50 + rng.uniform(-5, 5), j * 50 + rng.uniform(-5, 5)) for i in range(6) for j in range(6)}
    lines = [shapely.LineString([xy[(i, j)], xy[(i + 1, j)]]) for i in range(5) for j in range(6)]
    lines += [shapely.LineString([xy[(i, j)], xy[(i, j + 1)]]) for i in range(6) for j in range(5)]
    streets = gpd.GeoDataFrame(geometry=lines, crs=CRS)
    bpts = gpd.GeoSeries(shapely.points(rng.uniform(-10, 260, (40, 2))), crs=CRS)
    cpts = gpd.GeoSeries(shapely.points(rng.uniform(0, 250, (4, 2))), crs=CRS)
    ours = nearest_distance_network(bpts, cpts, streets, max_segment_m=None)
    g = nx.Graph()
    for line in lines:
        (x0, y0), (x1, y1) = line.coords
        g.add_edge((x0, y0), (x1, y1), weight=math.dist((x0, y0), (x1, y1)))
    nodes = list(g.nodes)
    arr = np.array(nodes)

    def nearest(p):
        k = int(np.argmin(np.hypot(*(arr - p).T)))
        return nodes[k], float(np.hypot(*(arr[k] - p)))

    for k, cp in enumerate(shapely.get_coordinates(cpts.values)):
        node, snap = nearest(cp)
        g.add_edge(("c", k), node, weight=snap)
    dist = nx.multi_source_dijkstra_path_length(g, [("c", k) for k in range(len(cpts))])
    theirs = []
    for bp in shapely.get_coordinates(bpts.values):
        node, snap = nearest(bp)
        theirs.append(snap + dist[node])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


# ----------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.one_of(st.floats(0, 2000), st.just(float("nan")))),
                min_size=0, max_size=30),
       st.floats(0, 2000), st.floats(0, 2000))
def test_coverage_monotonic_in_walk_distance(rows, w1, w2):
    df = pd.DataFrame(rows, columns=["residents", "dist_charger_m"], dtype=float)
    lo, hi = min(w1, w2), max(w1, w2)
    a, b = charger_coverage_share(df, lo), charger_coverage_share(df, hi)
    assert 0.0 <= a <= b + 1e-12 <= 1.0 + 1e-12


def test_coverage_edge_cases():
    assert charger_coverage_share(pd.DataFrame({"residents": [0.0], "dist_charger_m": [9e9]}), 300) == 1.0
    b = buildings([{"use": "house", "floor_area_m2": 120.0, "geometry": shapely.box(0, 0, 10, 10)}])
    out = estimate_mobility(b, chargers([(20, 0)], public=[False]), params=MobilityParams())
    assert np.isnan(out["dist_charger_m"].iloc[0])
    assert charger_coverage_share(out, 300) == 0.0


def _mixed() -> gpd.GeoDataFrame:
    return buildings([
        {"use": "apartment", "floor_area_m2": 4500.0, "geometry": shapely.box(0, 0, 30, 30)},
        {"use": "office", "floor_area_m2": 9200.0, "geometry": shapely.box(100, 0, 150, 50)},
        {"use": "house", "floor_area_m2": 180.0, "geometry": shapely.box(0, 200, 12, 212)},
    ])


def test_ev_share_lowers_co2_not_car_km():
    b, c = _mixed(), chargers([(50, 50)])
    low = estimate_mobility(b, c, params=MobilityParams(ev_share=0.2))
    high = estimate_mobility(b, c, params=MobilityParams(ev_share=0.8))
    np.testing.assert_allclose(high["car_km_yr"], low["car_km_yr"])
    assert (high["co2_transport_kg_yr"] < low["co2_transport_kg_yr"]).all()
    assert (high["ev_kwh_yr"] > low["ev_kwh_yr"]).all()


def test_mode_shift_lowers_car_km_and_co2():
    b, c = _mixed(), chargers([(50, 50)])
    base = MobilityParams()
    shares = dict(base.effective_mode_shares)
    shares["car_driver"] -= 0.15
    shares["bicycle"] += 0.10
    shares["public_transport"] += 0.05
    shifted = estimate_mobility(b, c, params=MobilityParams(mode_shares=shares))
    ref = estimate_mobility(b, c, params=base)
    assert shifted["car_km_yr"].sum() < ref["car_km_yr"].sum()
    assert shifted["co2_transport_kg_yr"].sum() < ref["co2_transport_kg_yr"].sum()
    half = estimate_mobility(b, c, params=MobilityParams(car_ownership_factor=0.5))
    assert half["car_km_yr"].sum() == pytest.approx(0.5 * ref["car_km_yr"].sum())


def test_conservation_of_charging_energy():
    b, c = _mixed(), chargers([(50, 50), (500, 500)], kw=11.0, connectors=3)
    p = MobilityParams()
    out = estimate_mobility(b, c, params=p)
    split = out[["charging_kwh_yr_home", "charging_kwh_yr_work", "charging_kwh_yr_public"]].sum(axis=1)
    np.testing.assert_allclose(split, out["ev_kwh_yr"])
    grid = charging_gap_grid(out, c, params=p)
    assert grid["demand_kwh_day"].sum() == pytest.approx(out["charging_kwh_yr_public"].sum() / 365)
    assert grid["capacity_kwh_day"].sum() == pytest.approx(2 * 11.0 * 3 * p.public_usable_hours_day)
    np.testing.assert_allclose(grid["gap_kwh_day"], grid["demand_kwh_day"] - grid["capacity_kwh_day"])
    assert set(grid["cell_id"]) == {"0_0", "500_500"}
    assert grid.geometry.area.tolist() == pytest.approx([250.0**2] * 2)
    need = chargers_needed(out, params=p)
    assert need["public_points_needed"] == math.ceil(
        out["charging_kwh_yr_public"].sum() / 365 / (p.public_charger_kw * p.public_usable_hours_day))
    s = mobility_summary(out, c, params=p)
    assert s["car_km_yr"] == pytest.approx(out["car_km_yr"].sum())
    assert s["public_chargers_present"] == 6
    assert s["ev_charging_mwh_yr"] == pytest.approx(out["ev_kwh_yr"].sum() / 1000)


# ----------------------------------------------------------------------- placement
def test_place_chargers_picks_biggest_clusters_first():
    rows = []
    for cx, n in ((0, 100.0), (2000, 50.0), (4000, 10.0)):
        rows.append({"use": "apartment", "floor_area_m2": 1.0, "residents": n,
                     "geometry": shapely.box(cx, 0, cx + 20, 20)})
    b = estimate_mobility(buildings(rows), chargers([(9000, 9000)]), params=MobilityParams())
    new = place_chargers(b, chargers([(9000, 9000)]), target_coverage=0.9, walk_distance_m=300,
                         kw=22.0, connectors=2)
    assert len(new) == 2  # 150 / 160 >= 0.9
    assert new.geometry.iloc[0].equals(shapely.Point(10, 10))
    assert new["public"].all() and list(new["charger_id"]) == ["new-001", "new-002"]
    assert new.crs == b.crs


def test_place_chargers_reaches_target():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 3000, (300, 2))
    rows = [{"use": "apartment", "floor_area_m2": float(rng.uniform(500, 5000)),
             "geometry": shapely.box(x, y, x + 15, y + 15)} for x, y in xy]
    c = chargers([(1500, 1500)])
    p = MobilityParams()
    b = estimate_mobility(buildings(rows), c, params=p)
    before = charger_coverage_share(b, 300)
    new = place_chargers(b, c, target_coverage=0.8, walk_distance_m=300, kw=22.0, connectors=2)
    after = estimate_mobility(buildings(rows), pd.concat([c, new], ignore_index=True),
                              params=p)
    assert before < 0.8 <= charger_coverage_share(after, 300)
    assert len(new) > 0
    assert place_chargers(after, pd.concat([c, new]), target_coverage=0.8, walk_distance_m=300,
                          kw=22.0, connectors=2).empty


# ----------------------------------------------------------------------- bad input
def test_mode_shares_must_sum_to_one():
    bad = dict.fromkeys(MODES, 0.25)
    with pytest.raises(InputError, match="sum to 1.25"):
        MobilityParams(mode_shares=bad)
    with pytest.raises(InputError, match="keys"):
        MobilityParams(mode_shares={"car": 1.0})
    with pytest.raises(InputError, match="ev_share"):
        MobilityParams(ev_share=1.5)


def test_bad_layers_are_reported_together(block, two_chargers):
    b = block.copy()
    b["use"] = ["spaceport"]
    b["floor_area_m2"] = [-5.0]
    with pytest.raises(InputError) as err:
        estimate_mobility(b, two_chargers, params=MobilityParams())
    assert len(err.value.lines) == 2 and "spaceport" not in err.value.lines[1]
    with pytest.raises(InputError, match="not metric"):
        estimate_mobility(block.to_crs(4326), two_chargers.to_crs(4326), params=MobilityParams())
    with pytest.raises(InputError, match="to_crs"):
        estimate_mobility(block, two_chargers.to_crs(25832), params=MobilityParams())


def test_a_parameter_row_without_a_source_is_refused(tmp_path, monkeypatch):
    import twin.mobility as mob

    t = pd.read_csv(mob._PARAMS_DIR / "charging.csv")
    t.loc[0, "source"] = ""
    (tmp_path / "charging.csv").write_text(t.to_csv(index=False))
    monkeypatch.setattr(mob, "_PARAMS_DIR", tmp_path)
    mob.parameter_table.cache_clear()
    try:
        with pytest.raises(ValueError, match="rows without a source"):
            mob.parameter_table("charging")
    finally:
        monkeypatch.undo()
        mob.parameter_table.cache_clear()


def test_public_chargers_needed_at_11_kw():
    """Most cars take 11 kW AC: 176 kWh/day of public charging at 11 kW x 8 h = 88 kWh per point -> 2 points."""
    from twin.mobility import MobilityParams, chargers_needed

    b = pd.DataFrame({"charging_kwh_yr_home": [0.0], "charging_kwh_yr_work": [0.0],
                      "charging_kwh_yr_public": [176.0 * 365]})
    mp = MobilityParams()
    assert mp.public_charger_kw == 11.0
    need = chargers_needed(b, params=mp)
    assert need["public_kwh_day"] == pytest.approx(176.0)
    assert need["public_points_needed"] == pytest.approx(2.0)


def test_finnish_car_km_per_resident_near_statistics_finland(block, two_chargers):
    """A published reference the model does not read: Statistics Finland, Tieliikennetilasto 2021 (release
    'Tieliikenteen kokonaissuorite laski 0,5 % vuonna 2021'): passenger cars drove 38.8 billion vehicle-km
    in 2021, for 5,548,241 inhabitants (Statistics Finland, population 31 Dec 2021), about 6 990 km per
    inhabitant. A Finnish district's residents (HLT 2021 travel survey) should be within +/-30 % (the
    statistic also holds business driving and the survey year 2021 had fewer trips, pandemic)."""
    out = estimate_mobility(block, two_chargers, params=MobilityParams(country="FI"))
    per_resident = out["car_km_yr"].iloc[0] / out["residents"].iloc[0]
    reference = 38.8e9 / 5_548_241
    assert 0.7 * reference < per_resident < 1.3 * reference


def test_country_selects_its_own_travel_survey(block, two_chargers):
    """Finland's HLT 2021 has a car share of 62 % of trips vs Bærum's 57 % (Traficom; Bærum kommune), and
    fewer (2.3 vs 3.26/day) but longer car trips: the two countries give different car-km."""
    no = MobilityParams().effective_mode_shares
    fi = MobilityParams(country="FI").effective_mode_shares
    assert (fi["car_driver"] + fi["car_passenger"]) / (no["car_driver"] + no["car_passenger"]) == \
        pytest.approx((0.62 / 0.98) / (0.57 / 0.99))
    km_no = estimate_mobility(block, two_chargers, params=MobilityParams())["car_km_yr"].iloc[0]
    km_fi = estimate_mobility(block, two_chargers, params=MobilityParams(country="FI"))["car_km_yr"].iloc[0]
    assert km_fi != pytest.approx(km_no, rel=0.01)
    with pytest.raises(InputError, match="unknown country"):
        MobilityParams(country="XX")
