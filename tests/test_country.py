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
