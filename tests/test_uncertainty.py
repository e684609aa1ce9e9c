"""Tests of twin.uncertainty: Latin hypercube, triangular draws, ranges, probabilities, rank correlations."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import twin
from twin import uncertainty as unc
from twin.mobility import MobilityParams, _co2_per_fossil_km
from twin.pipeline import _uncertainty, evaluate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "twin" / "data" / "scenarios"


@pytest.fixture(scope="module")
def baseline():
    return evaluate(None, twin.load_scenario(SCENARIOS / "baseline.yaml"), draws=0)


def test_latin_hypercube_has_one_draw_per_stratum():
    u = unc.latin_hypercube(50, 4, seed=1)
    assert u.shape == (50, 4) and (u >= 0).all() and (u < 1).all()
    for j in range(4):
        assert sorted(np.floor(u[:, j] * 50).astype(int)) == list(range(50))


def test_triangular_draws_match_scipy():
    p = unc.Parameter("x", central=3.0, low=1.0, high=7.0, source="")
    u = np.linspace(0.0, 1.0, 11)
    ref = stats.triang(c=(3.0 - 1.0) / 6.0, loc=1.0, scale=6.0).ppf(u)
    assert p.sample(u) == pytest.approx(ref)
    assert unc.Parameter("y", 2.0, 2.0, 2.0, "").sample(u) == pytest.approx(np.full(11, 2.0))


def test_central_draw_reproduces_the_point_indicators(baseline):
    r = baseline
    params = unc.parameters(emission_set="nordic_mix", electricity_g_kwh=r.extra["carrier_factors"]["electricity"],
                            dh_g_kwh=r.extra["carrier_factors"]["district_heat"],
                            ev_share=MobilityParams().ev_share, ev_kwh_per_km=0.2)
    fixed = [unc.Parameter(p.name, p.central, p.central, p.central, "") for p in params]
    comp = unc.components(r.buildings, r.extra["carrier_factors"])
    _, v = unc.draws(comp, fixed, n=2, factors=r.extra["carrier_factors"], co2_per_fossil_km=_co2_per_fossil_km())
    for k in unc.RANGE_INDICATORS:
        assert v[k].iloc[0] == pytest.approx(r.indicators[k], rel=1e-9), k


def test_ranges_bracket_the_point_value_and_cost_under_two_seconds(baseline):
    r = baseline
    ind = dict(r.indicators)
    ind["targets"] = {"cut": {"indicator": "co2_total_t_yr", "kind": "reduction", "value": 0.0, "threshold": 0.05,
                              "reference": r.indicators["co2_total_t_yr"], "status": "missed", "met": False}}
    t0 = time.perf_counter()
    extra = _uncertainty(r.buildings, ind, r.extra, r.extra["mobility_params"], 200)
    assert time.perf_counter() - t0 < 2.0
    for k, q in ind["ranges"].items():
        assert q["p10"] <= q["p50"] <= q["p90"], k
        assert q["p10"] <= r.indicators[k] * (1 + 1e-9) and r.indicators[k] <= q["p90"] * (1 + 1e-9), k
    assert ind["ranges"]["co2_total_t_yr"]["p90"] > 1.05 * ind["ranges"]["co2_total_t_yr"]["p10"]
    # probability of a 5 % cut below the central value: the share of draws 5 % below it, by hand
    v = extra["draw_values"]["co2_total_t_yr"].to_numpy()
    assert ind["targets"]["cut"]["probability_met"] == pytest.approx(
        np.mean(1 - v / r.indicators["co2_total_t_yr"] >= 0.05))
    assert 0.0 < ind["targets"]["cut"]["probability_met"] < 0.5
    sens = extra["sensitivity"]
    assert set(sens.index) >= {"need_factor", "electricity_g_kwh", "ev_share", "commute_trip_km"}
    # car-km depends only on trip rates and lengths: no rank correlation with the electricity factor to speak of
    assert abs(sens.loc["electricity_g_kwh", "car_km_yr"]) < 0.3
    assert sens.loc["commute_trip_km", "car_km_yr"] > 0.5


def test_sensitivity_of_a_monotone_indicator_is_one():
    s = pd.DataFrame({"a": np.arange(20.0), "b": np.full(20, 3.0), "c": np.random.default_rng(0).random(20)})
    v = pd.DataFrame({"y": np.exp(s["a"].to_numpy())})
    rho = unc.sensitivity(s, v)
    assert rho.loc["a", "y"] == pytest.approx(1.0)
    assert rho.loc["b", "y"] == 0.0
    assert rho.loc["c", "y"] == pytest.approx(stats.spearmanr(s["c"], v["y"])[0])
    assert list(unc.summarise(rho, top=1)["y"]) == ["a"]


def test_probability_met_of_set_by_input_target_is_none():
    v = pd.DataFrame({"zero_emission_car_share": [0.9, 0.95]})
    t = {"indicator": "zero_emission_car_share", "kind": "min", "threshold": 0.9, "status": "set_by_input"}
    assert unc.probability_met(t, v) is None


def test_probability_against_a_referenced_scenario_pairs_the_draws():
    v = pd.DataFrame({"car_km_yr": [90.0, 110.0, 130.0, 95.0]})
    ref = pd.DataFrame({"car_km_yr": [100.0, 120.0, 125.0, 100.0]})
    t = {"indicator": "car_km_yr", "kind": "not_above", "threshold": 118.75, "status": "met"}
    # paired: draw by draw 90<=100, 110<=120, 130>125, 95<=100 -> 3 of 4
    assert unc.probability_met(t, v, ref) == pytest.approx(0.75)
    # unpaired: against the threshold -> 90, 110, 95 -> 3 of 4 as well, but 130 vs 118.75 is the miss
    assert unc.probability_met(t, v) == pytest.approx(0.75)
    r = {"indicator": "car_km_yr", "kind": "reduction", "threshold": 0.1, "reference": 117.5, "status": "met"}
    # paired cuts: 0.1, 0.0833, -0.04, 0.05 -> only the first meets 10 %
    assert unc.probability_met(r, v, ref) == pytest.approx(0.25)

