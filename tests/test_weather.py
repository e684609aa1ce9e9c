"""Weather years: EPW and CSV reading, validation at load, the manifest key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin._errors import InputError
from twin.cli import main
from twin.district import default_district_path, load_district
from twin.weather import read_weather

FORNEBU_WEATHER = Path(default_district_path()) / "weather_rygge_2019.csv"


def _csv(path: Path, n: int = 8760, *, sep: str = ",", temp=None, start: str = "2019-01-01") -> Path:
    t = pd.date_range(start, periods=n, freq="h")
    temp = np.round(5 - 10 * np.cos(2 * np.pi * np.arange(n) / n), 2) if temp is None else temp
    df = pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M"), "air_temperature": temp})
    if sep == ";":
        df["air_temperature"] = df["air_temperature"].map(lambda v: str(v).replace(".", ","))
    df.to_csv(path, index=False, sep=sep)
    return path


def _epw(path: Path, temps: np.ndarray) -> Path:
    header = ["LOCATION,Oslo Fornebu,-,NOR,IWEC,014880,59.90,10.62,1.0,10.0"] + [f"H{i}" for i in range(7)]
    rows = []
    t = pd.date_range("2001-01-01", periods=8760, freq="h")
    for k, ts in enumerate(t):
        f = [str(1990 + ts.month), str(ts.month), str(ts.day), str(ts.hour + 1), "60", "?", f"{temps[k]:.1f}"]
        f += ["0"] * 6 + [str(100 if 9 <= ts.hour <= 15 else 0)] + ["0"] * 7 + ["3.5"] + ["0"] * 13
        rows.append(",".join(f))
    path.write_text("\n".join(header + rows) + "\n", encoding="latin-1")
    return path


def test_bundled_rygge_year_reads_with_the_published_figures():
    w = read_weather(FORNEBU_WEATHER)
    assert w.hours == 8760
    assert w.time[0] == pd.Timestamp("2019-01-01 00:00") and w.time[-1] == pd.Timestamp("2019-12-31 23:00")
    # figures of the shared data README (not read by the code): range -20.3 … 30.7, mean 7.25
    assert w.temperature_c.min() == pytest.approx(-20.3)
    assert w.temperature_c.max() == pytest.approx(30.7)
    assert w.temperature_c.mean() == pytest.approx(7.25, abs=0.01)
    # lowest 3-day (72 h) mean -10.0 °C, above the DUT of -20 °C as a design value should be
    daily = w.temperature_c.reshape(365, 24).mean(axis=1)
    m3 = np.convolve(daily, np.ones(3) / 3, mode="valid").min()
    assert m3 == pytest.approx(-10.0, abs=0.1)
    assert w.dut_c == -20.0 and "12831" in w.dut_source
    assert w.ghi_w_m2 is not None and w.ghi_w_m2.max() == pytest.approx(904, abs=1)


def test_bundled_district_names_its_weather():
    d = load_district(default_district_path())
    assert d.weather is not None and d.weather.hours == 8760
    assert "Rygge" in d.weather.label


def test_epw_is_read_with_hours_1_to_24(tmp_path):
    temps = np.linspace(-10, 20, 8760)
    w = read_weather(_epw(tmp_path / "x.epw", temps))
    assert w.hours == 8760 and w.time[0] == pd.Timestamp("2001-01-01 00:00")
    np.testing.assert_allclose(w.temperature_c, np.round(temps, 1))
    assert w.wind_m_s is not None and w.wind_m_s[0] == 3.5
    assert w.ghi_w_m2[10] == 100 and w.ghi_w_m2[0] == 0


def test_semicolon_csv_with_decimal_comma(tmp_path):
    w = read_weather(_csv(tmp_path / "w.csv", sep=";"), dut_c=-18)
    assert w.hours == 8760 and w.dut_c == -18 and w.temperature_c[0] == pytest.approx(-5.0)


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: _csv(p, n=8000), "8000 hours"),
    (lambda p: _csv(p, temp=np.r_[np.nan, np.zeros(8759)]), "missing temperatures (lines 2)"),
    (lambda p: _csv(p, temp=np.r_[np.zeros(9), 250.0, np.zeros(8750)]), "outside"),
])
def test_bad_years_are_rejected_naming_the_line(tmp_path, mutate, expected):
    p = mutate(tmp_path / "w.csv")
    with pytest.raises(InputError) as e:
        read_weather(p)
    assert expected in str(e.value) and str(p) in str(e.value)


def test_gap_in_hours_is_reported(tmp_path):
    p = _csv(tmp_path / "w.csv")
    lines = p.read_text().splitlines()
    del lines[100]
    lines.insert(200, lines[199])  # keep 8760 rows: one hour missing, one doubled
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="not consecutive"):
        read_weather(p)


def test_no_temperature_column_says_how_to_name_it(tmp_path):
    p = tmp_path / "w.csv"
    pd.DataFrame({"time": pd.date_range("2019", periods=8760, freq="h"), "x": 0.0}).to_csv(p, index=False)
    with pytest.raises(InputError, match="temperature_c"):
        read_weather(p)


def test_twin_check_rejects_a_district_with_a_broken_weather_file(tmp_path):
    from test_district import make_district

    folder = make_district(tmp_path, dem=False)
    _csv(folder / "w.csv", n=100)
    manifest = folder / "district.yaml"
    manifest.write_text(manifest.read_text() + "weather: {file: w.csv, dut_c: -20}\n")
    res = CliRunner().invoke(main, ["check", str(folder)])
    assert res.exit_code == 2
    assert "w.csv: weather" in res.output and "100 hours" in res.output and "Traceback" not in res.output
