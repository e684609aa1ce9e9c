"""Tests of twin.country: the country of a district from its location."""

from __future__ import annotations


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
