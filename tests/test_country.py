"""Tests of twin.country: the country of a district from its location."""

from __future__ import annotations

import pytest


def test_country_from_location():
    from twin.country import country_from_lonlat

    # city centres (lon, lat)
    cities = {"NO": [(10.75, 59.91), (5.32, 60.39), (10.40, 63.43), (18.96, 69.65)],
              "SE": [(18.07, 59.33), (11.97, 57.70), (13.00, 55.60), (22.15, 65.58)],
              "DK": [(12.57, 55.68), (10.20, 56.15), (9.92, 57.05)],
              "FI": [(24.94, 60.17), (23.76, 61.50), (25.47, 65.01)]}
    for country, pts in cities.items():
        for lon, lat in pts:
            assert country_from_lonlat(lon, lat) == country, (lon, lat)


def test_fallback_warnings_name_every_travel_parameter_taken_from_another_country():
    """Every mobility_travel.csv parameter a country lacks (so Norway's row is used) is a listed fallback
    that warns, unless the whole travel survey is a fallback; and no national parameter falls back."""
    import pandas as pd

    from twin.country import COUNTRIES, country_defaults
    from twin.mobility import parameter_table, travel_countries

    params = set(pd.unique(parameter_table("mobility_travel")["parameter"]))
    for c in COUNTRIES:
        d = country_defaults(c)
        missing = {p for p in params if travel_countries(p) and c not in travel_countries(p)}
        if "travel_survey" in d.fallbacks:
            continue
        assert missing == {p for p in d.fallbacks if p in params}, c


def test_finnish_district_warns_of_each_norwegian_default(tmp_path):
    import warnings

    from twin.country import CountryWarning, country_defaults, warn_fallbacks

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_fallbacks(country_defaults("FI", inferred=True))
    text = [str(w.message) for w in caught if issubclass(w.category, CountryWarning)]
    assert len(text) == 3 and all(t.startswith("country FI (inferred from the location)") for t in text)
    assert any("driver_share_of_car_trips" in t for t in text)
    assert not any("emission_set" in t for t in text)  # Finnish electricity and district-heat factors bundled


def test_swedish_and_danish_districts_get_their_own_heat_and_electricity_factors():
    """Sweden and Denmark no longer fall back to the Norwegian district-heat mix; Denmark's electricity
    follows BR18's trajectory (hand-interpolated: 2027 lies 2/5 of the way from 2025's 135 to 2030's 47 g)."""
    import warnings

    from twin.country import CountryWarning, country_defaults, warn_fallbacks
    from twin.energy import dh_factor, electricity_factor

    for c, dh in (("SE", "se_network_median"), ("DK", "dk_br18_2025")):
        d = country_defaults(c)
        assert d.dh_emission_set == dh and "dh_emission_set" not in d.fallbacks
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_fallbacks(d)
        assert not any("dh_emission_set" in str(w.message) for w in caught if issubclass(w.category, CountryWarning))
    # both lie between Norway's low-carbon mix and Finland's 2014 CHP average
    assert dh_factor("no_national_mix") < dh_factor("se_network_median") < dh_factor("dk_br18_2025") \
        < dh_factor("fi_chp_average")
    assert country_defaults("DK").emission_set == "dk_br18"
    assert abs(electricity_factor("dk_br18", 2027) - (135 + (47 - 135) * 2 / 5)) < 1e-9
    assert electricity_factor("dk_br18", 2050) == 40.3  # constant after the last year given


def test_scenario_accepts_exactly_the_bundled_district_heat_choices():
    import typing

    from twin.energy import DH_EMISSION_SETS
    from twin.scenario import Parameters

    ann = Parameters.model_fields["dh_emission_set"].annotation
    lit = next(a for a in typing.get_args(ann) if a is not type(None))
    assert set(typing.get_args(lit)) == set(DH_EMISSION_SETS)


def test_danish_district_uses_tu_and_warns_of_each_norwegian_travel_default():
    """Denmark's trip rate and trip length come from DTU's TU key figures (2.9 trips x 13.1 km per trip);
    their product reproduces the same release's published daily travel distance, 38.5 km per person per
    day (a figure the model does not read), within 2 %. The rest of the travel defaults are Norway's, and
    each one warns; the whole travel survey no longer does."""
    import warnings

    from twin.country import CountryWarning, country_defaults, warn_fallbacks
    from twin.mobility import travel_row

    trips = float(travel_row("trips_per_person_day", country="DK")["value"])
    km = float(travel_row("car_driver_trip_km", country="DK")["value"])
    assert trips * km == pytest.approx(38.5, rel=0.02)
    d = country_defaults("DK")
    assert "travel_survey" not in d.fallbacks
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_fallbacks(d, overridden=("mode_share_raw", "driver_share_of_car_trips"))
    text = [str(w.message) for w in caught if issubclass(w.category, CountryWarning)]
    assert len(text) == 2 and any("commute_trip_km" in t for t in text) and any("working_days_yr" in t for t in text)
