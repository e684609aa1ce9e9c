"""The pipeline: district + scenario → per-building results, layers, indicators.

``evaluate`` chains the pure stages::

    apply(scenario) → energy & district heating → mobility & charging
        → flood screening → heat density → indicators & targets

Files are read only where a scenario names them (at the edge, in
:mod:`twin.modify`); nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._text import local
from twin.district import District, default_district_path, load_district, places_layer
from twin.indicators import district_indicators, evaluate_targets
from twin.modify import Applied, apply_scenario, mobility_params
from twin.result import Result
from twin.scenario import Modification, Scenario, baseline_scenario, load_scenario

#: Contract columns of buildings.gpkg, in order.
BUILDING_COLUMNS = (
    "building_id", "use", "floor_area_m2", "residents", "jobs", "heat_kwh_yr", "electricity_kwh_yr",
    "energy_kwh_yr", "co2_kg_yr", "dist_heat_network_m", "dh_connected", "car_km_yr", "ev_kwh_yr",
    "co2_transport_kg_yr", "co2_ev_charging_kg_yr", "co2_direct_kg_yr", "dist_charger_m", "flood_depth_m",
    "in_low_lying_area", "floor_area_source",
)


@dataclass
class Session:
    """Caches shared by the evaluations of one run (districts, reference scenarios)."""

    districts: dict[str, District] = field(default_factory=dict)
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference_draws: dict[str, Any] = field(default_factory=dict)
    floods: dict[tuple, Any] = field(default_factory=dict)
    terrain: dict[tuple, Any] = field(default_factory=dict)  # DEM-only flood steps (twin.flood._terrain)
    progress: Any = None  # callable(stage: str) told each stage as it starts (the CLI's progress bar)
    draws: int | None = None  # Latin-hypercube draws (CLI --draws); None: the scenario's or the default

    def stage(self, name: str) -> None:
        """Report the stage that starts now."""
        if self.progress is not None:
            self.progress(name)

    def screen(self, dem: Any, *, buildings: gpd.GeoDataFrame, basins: gpd.GeoDataFrame | None,
               rain_mm: float | None, params: Any) -> Any:
        """Flood screening, computed once per distinct input within a run.

        The screening depends only on the DEM, the building footprints (roofs
        and exposure), the basins and the rain; scenarios and pathway phases
        that change none of them share one result.
        """
        from twin.flood import screen
        from twin.flood_io import needs_tiles

        key = (id(dem), _geometry_key(buildings), _geometry_key(basins, ("volume_m3", "depth_m")),
               rain_mm, repr(params))
        if key not in self.floods:
            # above the in-memory limit (flood_params.csv or $TWIN_FLOOD_MAX_MEMORY_GB): tile by tile
            if needs_tiles(int(dem.data.size), params):
                from twin.flood_tiled import screen_tiled
                self.floods[key] = screen_tiled(dem, buildings=buildings[[buildings.geometry.name]].copy(),
                                                basins=basins, rain_mm=rain_mm, params=params)
            else:
                self.floods[key] = screen(dem, buildings=buildings[[buildings.geometry.name]].copy(),
                                          basins=basins, rain_mm=rain_mm, params=params,
                                          terrain=self.terrain)
        return self.floods[key]

    def district_for(self, scenario: Scenario, district: District | None = None) -> District:
        """The district a scenario runs on (explicit, named by the scenario, or the default)."""
        if district is not None:
            return district
        path = scenario.resolve(scenario.district) if scenario.district else default_district_path()
        key = str(Path(path).resolve())
        if key not in self.districts:
            self.districts[key] = load_district(path)
        return self.districts[key]

    def reference_indicators(self, ref: str | Path, scenario: Scenario,
                             district: District | None) -> dict[str, Any]:
        """Indicators of a scenario file that a target or target path refers to, evaluated once per run.

        ``ref`` is resolved against ``scenario``'s folder; the reference runs on
        its own district when it names one, else on ``district``.
        """
        path = scenario.resolve(str(ref))
        key = str(path.resolve())
        if key not in self.references:
            ref_sc = load_scenario(path)
            r = evaluate(district if ref_sc.district is None else None, ref_sc, session=self,
                         with_targets=False, draws=self.draws)
            self.references[key] = r.indicators
            self.reference_draws[key] = r.extra.get("draw_values")
        return self.references[key]

    def reference_draw_values(self, ref: str | Path, scenario: Scenario) -> Any:
        """The draws of a referenced scenario (same Latin hypercube: common random numbers), or None."""
        return self.reference_draws.get(str(scenario.resolve(str(ref)).resolve()))


def _geometry_key(gdf: gpd.GeoDataFrame | None, columns: tuple[str, ...] = ()) -> str | None:
    """A digest of a layer's geometries in order (and some columns), for caching."""
    if gdf is None:
        return None
    import hashlib

    import shapely

    h = hashlib.sha256()
    for wkb in shapely.to_wkb(gdf.geometry.to_numpy()):
        h.update(wkb)
    for c in columns:
        if c in gdf.columns:
            h.update(pd.to_numeric(gdf[c], errors="coerce").astype("float64").to_numpy().tobytes())
    return h.hexdigest()


def energy_params(scenario: Scenario, applied: Applied, *, year: int, defaults: Any = None):  # noqa: ANN201
    """Energy parameters of a scenario (the country's defaults where it is silent).

    ``defaults`` is the district's :class:`twin.country.CountryDefaults`
    (None: Norway's).
    """
    from twin.country import country_defaults
    from twin.energy import EnergyParams, dh_factor, load_archetypes

    defaults = defaults or country_defaults("NO")
    p = scenario.parameters
    kw: dict[str, Any] = {"year": year, "emission_set": p.emission_set or defaults.emission_set}
    if p.archetypes is not None:
        kw["archetypes"] = load_archetypes(scenario.resolve(p.archetypes))
    kw["dh_default_co2_g_kwh"] = dh_factor(p.dh_emission_set or defaults.dh_emission_set)
    if p.dh_co2_g_kwh is not None:
        kw["dh_default_co2_g_kwh"] = p.dh_co2_g_kwh
    if applied.connect_within_m is not None:
        kw["connect_within_m"] = applied.connect_within_m
    if applied.connect_min_heat_kwh_yr is not None:
        kw["connect_min_heat_kwh_yr"] = applied.connect_min_heat_kwh_yr
    return EnergyParams(**kw)


def flood_params(scenario: Scenario):  # noqa: ANN201
    """Flood parameters of a scenario."""
    from twin.flood import FloodParams

    p = scenario.parameters
    kw: dict[str, Any] = {}
    if p.uniform_runoff is not None:
        kw["uniform_runoff"] = p.uniform_runoff
    if p.flooded_depth_m is not None:
        kw["flooded_depth_m"] = p.flooded_depth_m
    return FloodParams(**kw)


def add_emission_accounts(buildings: gpd.GeoDataFrame, factors_g_kwh: dict[str, float]) -> gpd.GeoDataFrame:
    """Add ``co2_ev_charging_kg_yr`` and ``co2_direct_kg_yr`` per building.

    ``co2_ev_charging_kg_yr`` is the EV charging electricity generated by the
    building's residents and in-commuters (``ev_kwh_yr``) at the electricity
    factor that the buildings' own electricity is charged at; it is part of
    ``co2_total_t_yr``.

    ``co2_direct_kg_yr`` is fuel burnt in the building (oil, gas) plus the
    tailpipe CO2 of the car travel attributed to it (residents' trips
    wherever they go, in-commuters' whole trips). It is a *by-activity*
    measure of direct emissions, **not** the territorial inventory behind
    Bærum's -65 % target (Miljødirektoratet's Klimagassutslipp for kommuner
    counts fuel burnt and road traffic driven inside the municipality's
    borders, whoever drives); the two differ by the parts of trips outside
    the district and by through traffic.
    """
    out = buildings.copy()
    fossil = np.zeros(len(out))
    for carrier in ("oil", "gas"):
        col = f"delivered_{carrier}_kwh_yr"
        if col in out.columns:
            fossil += out[col].astype("float64").fillna(0.0).to_numpy() * factors_g_kwh[carrier] / 1000.0
    ev = out["ev_kwh_yr"].astype("float64").fillna(0.0).to_numpy() if "ev_kwh_yr" in out else np.zeros(len(out))
    out["co2_ev_charging_kg_yr"] = ev * factors_g_kwh["electricity"] / 1000.0
    out["co2_direct_kg_yr"] = fossil + out["co2_transport_kg_yr"].astype("float64").fillna(0.0).to_numpy()
    return out


def estimate(district: District, scenario: Scenario, applied: Applied, *, year: int,
             session: Session | None = None) -> tuple[
        gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame], Any, dict[str, Any]]:
    """Run the models on an (already modified) district.

    Returns
    -------
    buildings, layers, water_depth, extra
    """
    from twin import energy, heat, mobility

    d = applied.district
    session = session or Session()
    session.stage("energy and district heating")
    from twin.country import country_defaults, district_country, warn_fallbacks

    country, inferred = district_country(district)
    cd = country_defaults(country, inferred=inferred)
    p = scenario.parameters
    overridden = tuple(k for k, v in (("emission_set", p.emission_set),
                                      ("dh_emission_set", p.dh_emission_set or p.dh_co2_g_kwh),
                                      ("travel_survey", p.mode_shares),
                                      ("mode_share_raw", p.mode_shares),
                                      ("driver_share_of_car_trips", p.mode_shares)) if v is not None)
    warn_fallbacks(cd, overridden=overridden)
    ep = energy_params(scenario, applied, year=year, defaults=cd)
    b = energy.estimate_buildings(d.buildings, d.heat_network, params=ep)
    mp = mobility_params(scenario, country=cd.country)
    streets = d.streets if len(d.streets) else None
    session.stage("mobility and charging")
    b = mobility.estimate_mobility(b, d.charging_points, params=mp, streets=streets)
    factors = energy.carrier_factors(ep)
    b = add_emission_accounts(b, factors)
    layers: dict[str, gpd.GeoDataFrame] = {}
    extra: dict[str, Any] = {"energy_totals": energy.district_totals(b), "carrier_factors": factors,
                             "country": cd, "energy_params": ep,
                             "dh_emission_set": p.dh_emission_set or cd.dh_emission_set,
                             "mobility": mobility.mobility_summary(b, d.charging_points, params=mp),
                             "modifications": list(applied.log)}
    if len(d.heat_network):
        layers["heat_network"] = heat.linear_heat_density(d.heat_network, b)
        extra["heat_network"] = heat.network_report(d.heat_network, b)
    for key in ("heat_plants", "charging_points", "basins", "streets"):
        gdf = getattr(d, key)
        if len(gdf):
            layers[key] = gdf
    places = places_layer(d.manifest, d.crs)
    if len(places):
        layers["places"] = places
    try:
        layers["charging_gap"] = mobility.charging_gap_grid(b, d.charging_points, params=mp)
    except Exception:  # the gap grid is a map aid; no chargers or residents is not an error
        pass
    rain = scenario.parameters.rain_mm
    water_depth = None
    balance: dict[str, float] | None = None
    fp = None
    if d.dem is not None:
        session.stage("flood screening")
        fp = flood_params(scenario)
        fr = session.screen(d.dem, buildings=b, basins=d.basins if len(d.basins) else None,
                                           rain_mm=rain, params=fp)
        b = b.copy()
        for col in ("flood_depth_m", "in_low_lying_area"):
            b[col] = fr.buildings[col].to_numpy()
        layers["depressions"] = fr.depressions
        if fr.water_depth is not None:
            water_depth = d.dem.with_data(fr.water_depth)
        balance = dict(fr.balance)
        extra["flood_balance"] = balance
        basins_out = getattr(fr, "basins", None)
        if isinstance(basins_out, gpd.GeoDataFrame) and len(basins_out):
            layers["basins"] = basins_out
    else:
        b = b.copy()
        b["flood_depth_m"] = np.nan
        b["in_low_lying_area"] = False
    if d.dem is not None:  # the shore for offline maps
        from twin.maps._context import sea_area

        sea = sea_area(d.dem)
        if len(sea):
            layers["sea"] = sea
    extra["flood_params"] = fp
    extra["mobility_params"] = mp
    return b, layers, water_depth, {**extra, "balance": balance}


def evaluate(district: District | None = None, scenario: Scenario | str | Path | None = None, *,
             session: Session | None = None, with_targets: bool = True,
             modifications: tuple[Modification, ...] | None = None, year: int | None = None,
             draws: int | None = None) -> Result:
    """Evaluate a scenario on a district.

    Parameters
    ----------
    district : District, optional
        The district; default: the scenario's ``district`` or the bundled one.
    scenario : Scenario or path, optional
        The scenario; default: the baseline (no changes, default parameters).
    session : Session, optional
        Caches shared across evaluations of one run.
    with_targets : bool
        Evaluate the scenario's targets (needs referenced scenarios).
    modifications, year : optional
        Override the scenario's modifications and year (used for pathway phases).
    draws : int, optional
        Latin-hypercube draws for ``ranges``, ``probability_met`` and the
        sensitivity table (:mod:`twin.uncertainty`); 0 turns them off; None:
        the session's (``--draws``), else the scenario's ``draws``, else 200.

    Returns
    -------
    Result
        Per-building results, map layers, indicators and targets.
    """
    if scenario is None:
        scenario = baseline_scenario()
    elif not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    session = session or Session()
    district = session.district_for(scenario, district)
    year = scenario.year if year is None else year
    session.stage("scenario changes")
    applied = apply_scenario(district, scenario, modifications)
    b, layers, water_depth, extra = estimate(district, scenario, applied, year=year, session=session)
    mp = extra["mobility_params"]
    fp = extra["flood_params"]
    balance = extra.pop("balance")
    rain = scenario.parameters.rain_mm if district.dem is not None else None
    session.stage("indicators and targets")
    ind = district_indicators(
        b, scenario=scenario.name, charging_points=applied.district.charging_points,
        walk_distance_m=float(mp.walk_distance_m), ev_share=float(mp.ev_share), rain_mm=rain,
        flood_balance=balance, flooded_depth_m=float(fp.flooded_depth_m) if fp is not None else 0.1,
        flood_evaluated=district.dem is not None,
        electricity_co2_g_kwh=float(extra["carrier_factors"]["electricity"]))
    ind["country"] = extra["country"].country
    ind["country_inferred"] = extra["country"].inferred
    hourly = hourly_stage(b, applied.district, scenario, session)
    if hourly is not None:
        b = b.assign(electricity_kw_at_peak=hourly.building_peak_kw)
        ind.update(hourly.indicators())
        extra["hourly"] = hourly
        if applied.district.grid_areas is not None and len(applied.district.grid_areas):
            from twin.loads import grid_area_layer

            layers["grid_areas"] = grid_area_layer(applied.district.grid_areas, hourly)
    ind["year"] = int(year)
    ind["district"] = district.name
    ind["synthetic"] = district.synthetic
    if with_targets and scenario.targets:
        def reference_value(ref: str, indicator: str) -> float:
            return float(session.reference_indicators(ref, scenario, district)[indicator])

        kinds = [m.kind for m in (scenario.modifications if modifications is None else modifications)]
        ind["targets"] = evaluate_targets(ind, scenario.targets, reference_value, kinds)
    n = draws if draws is not None else session.draws if session.draws is not None else \
        scenario.parameters.draws
    ref_draws = {}
    if with_targets:
        for t in scenario.targets:
            ref = t.reference if isinstance(t.reference, str) else t.not_above
            if isinstance(ref, str):
                ref_draws[t.name] = session.reference_draw_values(ref, scenario)
    extra.update(_uncertainty(b, ind, extra, mp, n, ref_draws))
    cols = [c for c in BUILDING_COLUMNS if c in b.columns] + [c for c in b.columns if c not in BUILDING_COLUMNS]
    b = b[cols]
    return Result(scenario=scenario.name, title=scenario.title, description=scenario.description,
                  district=district.name,
                  crs=district.crs.to_string(), buildings=b, layers=layers, indicators=ind,
                  water_depth=water_depth, synthetic=district.synthetic, attribution=_attribution(district),
                  year=int(year), extra=extra)


def hourly_stage(buildings: gpd.GeoDataFrame, district: District, scenario: Scenario,
                 session: Session) -> Any:
    """Hourly loads, peaks and grid headroom when the district has a weather year (else None)."""
    if district.weather is None:
        return None
    from twin.loads import HourlyParams, hourly_loads

    session.stage("hourly loads and peaks")
    smart = scenario.parameters.ev_smart_charging
    params = HourlyParams(ev_smart_charging=float(smart) if smart is not None else 0.0)
    return hourly_loads(buildings, district.weather, params=params, charging_points=district.charging_points,
                        grid_areas=district.grid_areas)


def _uncertainty(b: gpd.GeoDataFrame, ind: dict[str, Any], extra: dict[str, Any], mp: Any,
                 n: int | None, ref_draws: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ranges, target probabilities and the sensitivity table (adds ``ranges`` to ``ind``).

    ``ref_draws`` maps a target name to the draws of the scenario it refers to
    (drawn with the same Latin hypercube), so a comparison between scenarios
    shares the uncertainty of the parameters both use.
    """
    from twin import uncertainty as unc
    from twin.mobility import _co2_per_fossil_km

    n = unc.DEFAULT_DRAWS if n is None else int(n)
    ind["ranges"] = {}
    ind["uncertainty"] = {"method": "latin_hypercube", "draws": n, "seed": unc.SEED,
                          "distribution": "triangular(low, central, high) per parameter"}
    if n <= 0:
        return {}
    ep = extra["energy_params"]
    factors = extra["carrier_factors"]
    params = unc.parameters(emission_set=ep.emission_set, electricity_g_kwh=factors["electricity"],
                            dh_g_kwh=factors["district_heat"], country=mp.country,
                            dh_emission_set=extra["dh_emission_set"],
                            ev_share=float(mp.ev_share), ev_kwh_per_km=float(mp.ev_kwh_per_km))
    comp = unc.components(b, factors)
    samples, values = unc.draws(comp, params, n=n, factors=factors, co2_per_fossil_km=_co2_per_fossil_km())
    ind["ranges"] = unc.ranges(values)
    for name, t in ind.get("targets", {}).items():
        t["probability_met"] = unc.probability_met(t, values, (ref_draws or {}).get(name))
    sens = unc.sensitivity(samples, values)
    ind["sensitivity"] = unc.summarise(sens)
    return {"sensitivity": sens, "draw_samples": samples, "draw_values": values,
            "uncertain_parameters": params}


def _attribution(d: District) -> str | dict[str, str]:
    keys = ("synthetic_note", "attribution", "licence")
    langs = sorted({lang for k in keys if isinstance(d.manifest.get(k), dict) for lang in d.manifest[k]})
    weather = f"Weather: {d.weather.label}" if d.weather is not None and d.weather.label else ""

    def line(lang: str) -> str:
        # the weather year's credit travels with every map
        note = local(d.manifest.get("synthetic_note", ""), lang).strip()
        return " · ".join(x for x in (note, d.attribution_in(lang), weather) if x)

    return {lang: line(lang) for lang in langs} if langs else line("en")


def evaluate_pathway(district: District | None, scenario: Scenario, *, session: Session | None = None):  # noqa: ANN201
    """Evaluate a scenario's phases year by year.

    Each phase adds its modifications to those before it and overrides
    parameters; the emission factors follow the phase's year.

    Returns
    -------
    xarray.Dataset
        Indicators with dimensions ``scenario`` (length 1) and ``year``, and
        ``target_path`` (the reduction path) when the scenario declares one.
    """
    import xarray as xr

    from twin.indicators import INDICATORS

    session = session or Session()
    mods = scenario.modifications
    params = scenario.parameters.model_dump(exclude_none=True)
    rows = []
    years = []
    phases = scenario.phases or ()
    for ph in ((None,) + tuple(phases)):
        if ph is not None:
            mods = mods + ph.modifications
            params = {**params, **ph.parameters.model_dump(exclude_none=True)}
        year = scenario.year if ph is None else ph.year
        from twin.scenario import Parameters

        sc = scenario.model_copy(update={"parameters": Parameters(**params), "year": year})
        r = evaluate(district, sc, session=session, with_targets=False, modifications=mods, year=year, draws=0)
        rows.append({k: float(r.indicators[k]) for k in INDICATORS if k in r.indicators})
        years.append(year)
    df = pd.DataFrame(rows, index=pd.Index(years, name="year"))
    df = df[~df.index.duplicated(keep="last")].sort_index()
    ds = xr.Dataset({k: (("scenario", "year"), df[[k]].to_numpy().T) for k in df.columns},
                    coords={"scenario": [scenario.name], "year": df.index.to_numpy()})
    for k, unit in INDICATORS.items():
        if k in ds:
            ds[k].attrs["units"] = unit
    if scenario.target_path is not None:
        tp = scenario.target_path
        if isinstance(tp.reference, str):
            ref = float(session.reference_indicators(tp.reference, scenario, district)[tp.indicator])
        else:
            ref = float(tp.reference)
        pts = sorted(tp.points.items())
        yrs = np.array([p[0] for p in pts], float)
        vals = np.array([p[1] for p in pts], float) * ref
        ds["target_path"] = (("scenario", "year"), np.interp(ds.year.to_numpy(), yrs, vals)[None, :])
        ds["target_path"].attrs.update(units=INDICATORS.get(tp.indicator, ""), indicator=tp.indicator,
                                       reference=ref, source=tp.source or "")
        ds.attrs["target_path_points"] = str({int(y): float(v) for y, v in zip(yrs, vals)})
    ds.attrs["title"] = f"twin pathway: {scenario.name}"
    return ds
