"""Scenario files: validation errors name file, line and key; extends; targets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from twin import InputError
from twin.cli import main
from twin.indicators import compare, evaluate_targets
from twin.scenario import Target, load_scenario


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_scenario_with_extends(tmp_path):
    write(tmp_path, "base.yaml", """
name: base
year: 2025
parameters: {ev_share: 0.3, rain_mm: 50}
modifications:
  - change_heating: {where: {heating: [oil]}, to: hp_air_water}
targets:
  - {name: coverage, indicator: charger_coverage_share, min: 1.0}
""")
    child = write(tmp_path, "child.yaml", """
name: child
extends: base.yaml
year: 2027
parameters: {ev_share: 0.9}
modifications:
  - retrofit: {where: {use: [apartment], year_max: 1980}, to: TEK17}
""")
    sc = load_scenario(child)
    assert sc.name == "child" and sc.year == 2027
    assert sc.parameters.ev_share == 0.9 and sc.parameters.rain_mm == 50
    assert [m.kind for m in sc.modifications] == ["change_heating", "retrofit"]
    assert [t.name for t in sc.targets] == ["coverage"]


def test_typo_in_key_names_file_line_and_key(tmp_path):
    p = write(tmp_path, "s.yaml", "name: s\nyear: 2027\nparameters:\n  ev_shar: 0.9\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    (line,) = exc.value.lines
    assert str(p) in line and "line 4" in line and "parameters.ev_shar" in line and "unknown key" in line


def test_typo_at_top_level_suggests(tmp_path):
    p = write(tmp_path, "s.yaml", "name: s\nyaer: 2027\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert "line 2" in exc.value.lines[0] and "did you mean 'year'" in exc.value.lines[0]


def test_unknown_modification_and_bad_vocabulary(tmp_path):
    p = write(tmp_path, "s.yaml", "name: s\nmodifications:\n  - demolsh: {ids: [a]}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert "unknown modification 'demolsh'" in exc.value.lines[0] and "did you mean 'demolish'" in exc.value.lines[0]
    p = write(tmp_path, "t.yaml", "name: t\nmodifications:\n  - change_heating: {where: {heating: [oil]}, to: heatpump}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert "line 3" in exc.value.lines[0] and "to" in exc.value.lines[0] and "hp_air_water" in exc.value.lines[0]


def test_wrong_type_and_range(tmp_path):
    p = write(tmp_path, "s.yaml", "name: s\nparameters:\n  ev_share: lots\n  rain_mm: -5\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert len(exc.value.lines) == 2
    assert any("ev_share" in ln and "line 3" in ln for ln in exc.value.lines)
    assert any("rain_mm" in ln and "line 4" in ln for ln in exc.value.lines)


def test_broken_yaml_and_missing_file_reference(tmp_path):
    p = write(tmp_path, "s.yaml", "name: s\nparameters: {ev_share: 0.9\n")
    with pytest.raises(InputError, match=r"line \d+: broken YAML"):
        load_scenario(p)
    p = write(tmp_path, "u.yaml", "name: u\nmodifications:\n  - add_basins: {file: data/nope.gpkg}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert "line 3" in exc.value.lines[0] and "file not found" in exc.value.lines[0]


def test_extends_cycle_and_missing_parent(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(InputError, match="cycle"):
        load_scenario(b)
    c = write(tmp_path, "c.yaml", "name: c\nextends: nope.yaml\n")
    with pytest.raises(InputError, match="does not exist"):
        load_scenario(c)


def test_new_quarter_use_mix_must_sum_to_one(tmp_path):
    write(tmp_path, "area.gpkg", "")
    p = write(tmp_path, "s.yaml", """
name: s
modifications:
  - new_quarter: {area: area.gpkg, gross_floor_area_m2: 10000, use_mix: {apartment: 0.5, office: 0.3}}
""")
    with pytest.raises(InputError, match="sum to 0.8"):
        load_scenario(p)


def test_check_command_on_scenario(tmp_path):
    good = write(tmp_path, "g.yaml", "name: g\nyear: 2030\n")
    bad = write(tmp_path, "b.yaml", "name: b\nyear: twenty\n")
    r = CliRunner().invoke(main, ["check", str(good)])
    assert r.exit_code == 0 and "valid" in r.output
    r = CliRunner().invoke(main, ["check", str(bad)])
    assert r.exit_code == 2 and "year" in r.stderr and "Traceback" not in r.stderr


def test_targets_value_threshold_met():
    ind = {"co2_total_t_yr": 350.0, "charger_coverage_share": 0.96, "car_km_yr": 1.1e6, "max_flood_depth_m": 0.25}
    targets = [
        Target(name="co2", indicator="co2_total_t_yr", reduction=0.65, reference=1000.0),
        Target(name="cov", indicator="charger_coverage_share", min=1.0),
        Target(name="flood", indicator="max_flood_depth_m", max=0.3),
        Target(name="zero_growth", indicator="car_km_yr", not_above="baseline.yaml"),
    ]
    out = evaluate_targets(ind, targets, lambda ref, key: {"car_km_yr": 1.0e6}[key])
    assert out["co2"]["value"] == pytest.approx(0.65) and out["co2"]["met"] is True
    assert out["cov"] == {"indicator": "charger_coverage_share", "kind": "min", "value": 0.96, "threshold": 1.0,
                          "met": False, "status": "missed", "probability_met": None}
    assert out["flood"]["met"] is True and out["flood"]["status"] == "met"
    assert out["zero_growth"]["threshold"] == 1.0e6 and out["zero_growth"]["met"] is False


def test_target_status_not_evaluated_and_set_by_input():
    ind = {"max_flood_depth_m": float("nan"), "zero_emission_car_share": 0.9}
    targets = [Target(name="flood", indicator="max_flood_depth_m", max=0.3),
               Target(name="cars", indicator="zero_emission_car_share", min=0.9)]
    out = evaluate_targets(ind, targets, lambda ref, key: 0.0)
    assert out["flood"]["status"] == "not_evaluated" and out["flood"]["met"] is None
    assert out["cars"]["status"] == "set_by_input" and out["cars"]["met"] is None


def test_target_needs_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        Target(name="x", indicator="car_km_yr", max=1, min=0)


def test_compare_differences_against_first():
    a = {"scenario": "a", "co2_total_t_yr": 100.0, "targets": {"t": {"met": False}}}
    b = {"scenario": "b", "co2_total_t_yr": 60.0, "targets": {"t": {"met": True}}}
    df = compare([a, b])
    assert df.loc["co2_total_t_yr", "b - a"] == pytest.approx(-40.0)
    assert df.loc["target:t", "b"] == 1.0 and df.loc["target:t", "a"] == 0.0
