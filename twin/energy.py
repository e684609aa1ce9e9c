"""Per-building energy need, heating systems, delivered energy and emissions.

The model is an archetype model in the style of NVE's building-stock energy
model (EBM): a building's energy *need* is its heated floor area times a
specific need (kWh/m²·yr) looked up by building category, building-code
period and purpose. The heating system turns the space-heating and hot-water
need into *delivered* energy per carrier (efficiency or seasonal COP per load
share, from EBM's ``heating_system_efficiencies.csv``); lighting, appliances,
fans and pumps are electric and cooling is electric at EBM's cooling COP.
Emissions are delivered energy times a factor per carrier; the electricity
factor is a named choice (:data:`EMISSION_SETS`) and the district-heat factor
comes from the nearest network segment's ``co2_g_kwh``.

All parameters are in ``twin/params/*.csv``, each row with its source:

* ``archetypes_nve_ebm.csv`` — need per m² (NVE EBM 1.2.0, plus a
  ``PASSIVE_HOUSE`` class: TEK17 with the NS 3700/NS 3701 passive-house
  space-heating limit),
* ``use_categories.csv`` — ``use`` → EBM building category,
* ``building_codes.csv`` — construction year → building-code period,
* ``heating_systems.csv`` — load shares, efficiencies and carriers,
* ``emission_factors.csv`` — g CO2e/kWh per carrier (and year),
* ``floor_area.csv`` — storey height and gross-to-heated-area factor,
* ``dh_defaults.csv`` — district-heat defaults,
* ``ebm_*.csv`` — NVE EBM's behaviour factors, improvements, condition
  reductions and renovation S-curves, applied as EBM applies them
  (:mod:`twin.ebm`).

Everything is vectorised: table lookups are numpy fancy indexing and the
distance to the heat network is one shapely ``STRtree.query_nearest`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin import ebm
from twin._errors import InputError, Problem
from twin.schema import BUILDING_CODES, HEATING, USES

PARAMS_DIR = Path(__file__).parent / "params"

#: Purposes of energy need, in the column order of the output.
PURPOSES: tuple[str, ...] = (
    "space_heating", "hot_water", "lighting", "appliances", "fans_pumps", "cooling",
)
#: Energy carriers of delivered energy.
CARRIERS: tuple[str, ...] = ("electricity", "district_heat", "oil", "gas", "bio")

ARCHETYPE_COLUMNS: tuple[str, ...] = ("building_category", "building_code", "purpose",
                                      "kwh_m2_yr")

_CARRIER_COLUMN = {
    "electricity": "delivered_electricity_kwh_yr",
    "district_heat": "delivered_district_heat_kwh_yr",
    "oil": "delivered_oil_kwh_yr",
    "gas": "delivered_gas_kwh_yr",
    "bio": "delivered_bio_kwh_yr",
}


def _read_params(name: str) -> pd.DataFrame:
    return pd.read_csv(PARAMS_DIR / name)


def _scalar_params(name: str) -> dict[str, float]:
    table = _read_params(name)
    return dict(zip(table["parameter"], table["value"].astype(float)))


_DH_DEFAULTS = _scalar_params("dh_defaults.csv")

#: Named choices of the district-heat factor at the building (``dh_defaults.csv``
#: rows ``dh_co2_g_kwh_<choice>``): ``no_national_mix`` (default, the Norwegian
#: district-heat mix), ``fi_chp_average`` (Finnish default, Motiva/Energiateollisuus)
#: and ``zero_at_building`` (SSB KOSTRA: counted at the plant).
DH_EMISSION_SETS: tuple[str, ...] = tuple(
    k.removeprefix("dh_co2_g_kwh_") for k in _DH_DEFAULTS if k.startswith("dh_co2_g_kwh_"))


def dh_factor(choice: str) -> float:
    """District-heat emission factor (g CO2e/kWh) of a named choice (:data:`DH_EMISSION_SETS`)."""
    if choice not in DH_EMISSION_SETS:
        raise InputError(Problem("parameters", f"unknown dh_emission_set {choice!r}",
                                 f"use one of {', '.join(DH_EMISSION_SETS)}", column="dh_emission_set"))
    return _DH_DEFAULTS[f"dh_co2_g_kwh_{choice}"]
_FLOOR_AREA = _scalar_params("floor_area.csv")


def _emission_sets() -> tuple[str, ...]:
    table = _read_params("emission_factors.csv")
    return tuple(sorted(set(table["emission_set"]) - {"all"}))


#: Named choices of electricity emission factor (see ``emission_factors.csv``):
#: ``no_physical`` (NVE, physically delivered electricity in Norway),
#: ``nordic_mix`` (IVL/SMED Nordic mix with trade), ``eu_mix_ns3720``
#: (European mix over a 60-year life, ZEB Centre / NS 3720 method) and
#: ``residual_mix`` (NVE disclosure, AIB residual mix).
EMISSION_SETS: tuple[str, ...] = _emission_sets()


@dataclass(frozen=True, kw_only=True)
class EnergyParams:
    """Parameters of the energy estimate; build with keyword arguments.

    Parameters
    ----------
    emission_set : str
        Electricity emission factor, one of :data:`EMISSION_SETS`; default
        ``no_physical`` (NVE's factor for electricity physically delivered in
        Norway).
    year : int
        Year of the estimate; picks the electricity factor from the set's
        trajectory (linear between the years given, constant outside them).
    archetypes : pandas.DataFrame | None
        Need per m² in the long format of :func:`load_archetypes`;
        None uses the bundled NVE EBM table.
    connect_within_m : float | None
        Connect buildings to district heating when within this distance of
        the network (and above the demand thresholds); None connects nobody
        automatically.
    connect_min_heat_kwh_yr : float
        Minimum heat (space heating + hot water) of a building to be connected
        automatically (``dh_defaults.csv``).
    connect_min_density_mwh_m_yr : float
        Minimum heat per metre of service pipe (heat / distance to the
        network) for automatic connection (``dh_defaults.csv``, KfW rule).
    dh_default_co2_g_kwh : float
        District-heat factor for segments without ``co2_g_kwh``; default the
        Norwegian district-heat mix (``dh_defaults.csv``, :func:`dh_factor`).
    storey_height_m : float
        Storey height to derive floors from ``height_m`` (``floor_area.csv``).
    gross_to_heated_factor : float
        Heated floor area per m² of footprint × floors (``floor_area.csv``).
    """

    emission_set: str = "no_physical"
    year: int
    archetypes: pd.DataFrame | None = field(default=None, compare=False)
    connect_within_m: float | None = None
    connect_min_heat_kwh_yr: float = _DH_DEFAULTS["connect_min_heat_kwh_yr"]
    connect_min_density_mwh_m_yr: float = _DH_DEFAULTS["connect_min_density_mwh_m_yr"]
    dh_default_co2_g_kwh: float = _DH_DEFAULTS["dh_co2_g_kwh_no_national_mix"]
    storey_height_m: float = _FLOOR_AREA["storey_height_m"]
    gross_to_heated_factor: float = _FLOOR_AREA["gross_to_heated_factor"]

    def __post_init__(self) -> None:
        where = "EnergyParams"
        problems: list[Problem] = []
        if self.emission_set not in EMISSION_SETS:
            problems.append(Problem(where, f"unknown emission_set {self.emission_set!r}",
                                    f"use one of {', '.join(EMISSION_SETS)}",
                                    column="emission_set"))
        numbers = {
            "connect_min_heat_kwh_yr": self.connect_min_heat_kwh_yr,
            "connect_min_density_mwh_m_yr": self.connect_min_density_mwh_m_yr,
            "dh_default_co2_g_kwh": self.dh_default_co2_g_kwh,
        }
        if self.connect_within_m is not None:
            numbers["connect_within_m"] = self.connect_within_m
        for name, value in numbers.items():
            if not np.isfinite(value) or value < 0:
                problems.append(Problem(where, f"{name} must be a finite number >= 0, got {value!r}",
                                        "give a non-negative number", column=name))
        for name in ("storey_height_m", "gross_to_heated_factor"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                problems.append(Problem(where, f"{name} must be > 0, got {value!r}",
                                        "give a positive number", column=name))
        if problems:
            raise InputError(problems)
        if self.archetypes is not None:
            _validate_archetypes(self.archetypes, where="EnergyParams.archetypes")


# --------------------------------------------------------------------------- tables
def _use_categories() -> pd.DataFrame:
    return _read_params("use_categories.csv")


def _required_categories() -> list[str]:
    uc = _use_categories()
    return sorted(set(uc.loc[uc["heated"].astype(bool), "building_category"]))


def _validate_archetypes(table: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """Check an archetype table; return it with ``kwh_m2_yr`` as float.

    Row numbers in messages are 1-based data rows (+1 for the header line).
    """
    problems: list[Problem] = []
    missing = [c for c in ARCHETYPE_COLUMNS if c not in table.columns]
    for c in missing:
        problems.append(Problem(where, f"missing column '{c}'",
                                f"add a '{c}' column; required: {', '.join(ARCHETYPE_COLUMNS)}",
                                column=c))
    if problems:
        raise InputError(problems)
    table = table.reset_index(drop=True)
    rowno = np.arange(len(table)) + 2  # header is line 1
    values = pd.to_numeric(table["kwh_m2_yr"], errors="coerce")
    bad = values.isna().to_numpy()
    for r, v in zip(rowno[bad], table["kwh_m2_yr"].to_numpy()[bad]):
        problems.append(Problem(where, f"kwh_m2_yr {v!r} is not a number",
                                "give the need in kWh per m2 per year as a number",
                                row=str(r), column="kwh_m2_yr"))
    neg = (values < 0).to_numpy() | ~np.isfinite(values.fillna(0).to_numpy())
    for r, v in zip(rowno[neg], values.to_numpy()[neg]):
        problems.append(Problem(where, f"kwh_m2_yr {v} is negative or infinite",
                                "give a finite value >= 0", row=str(r), column="kwh_m2_yr"))
    for col, vocab in (("purpose", PURPOSES), ("building_code", BUILDING_CODES)):
        unknown = ~table[col].isin(vocab).to_numpy()
        for r, v in zip(rowno[unknown], table[col].to_numpy()[unknown]):
            problems.append(Problem(where, f"unknown {col} {v!r}",
                                    f"use one of {', '.join(vocab)}", row=str(r), column=col))
    key = ["building_category", "building_code", "purpose"]
    dup = table.duplicated(key, keep="first").to_numpy()
    for r, k in zip(rowno[dup], table.loc[dup, key].itertuples(index=False)):
        problems.append(Problem(where, f"duplicate row for {tuple(k)}",
                                "keep one row per building_category, building_code and purpose",
                                row=str(r)))
    present = set(map(tuple, table[key].astype(str).to_numpy()))
    for cat in _required_categories():
        for code in BUILDING_CODES:
            lacking = [p for p in PURPOSES if (cat, code, p) not in present]
            if lacking:
                problems.append(Problem(
                    where, f"no rows for building_category {cat!r}, building_code {code!r}, "
                           f"purpose {', '.join(lacking)}",
                    f"add these rows (every category used in use_categories.csv needs every "
                    f"building code {', '.join(BUILDING_CODES)} and purpose; copy TEK17 for PASSIVE_HOUSE "
                    f"if your source has no better-than-code class)",
                    column="building_code"))
    if problems:
        raise InputError(problems)
    out = table.copy()
    out["kwh_m2_yr"] = values.astype(float)
    return out


def load_archetypes(path: str | Path) -> pd.DataFrame:
    """Read an archetype table (need per m² and purpose) from a CSV file.

    The table is long: one row per ``building_category``, ``building_code``
    (:data:`twin.schema.BUILDING_CODES`) and ``purpose`` (:data:`PURPOSES`)
    with ``kwh_m2_yr``; a ``source`` column is recommended. Categories are
    those of ``twin/params/use_categories.csv`` (NVE EBM names), so a Swedish
    or Danish table supplies its own numbers under these names.

    Parameters
    ----------
    path : str or Path
        CSV file.

    Returns
    -------
    pandas.DataFrame
        The validated table, ``kwh_m2_yr`` as float.

    Raises
    ------
    twin._errors.InputError
        When the file is missing or the table is malformed; every problem names
        the file, row and column and how to fix it.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"kwh_m2_yr": str})
    except FileNotFoundError:
        raise InputError(Problem(str(path), "file not found",
                                 "give the path of an existing CSV archetype table")) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), f"not a readable CSV table ({exc})".replace("\n", " "),
                                 "save the table as comma-separated UTF-8 text")) from None
    return _validate_archetypes(table, where=str(path))


def _bundled_archetypes() -> pd.DataFrame:
    return _validate_archetypes(_read_params("archetypes_nve_ebm.csv"),
                                where=str(PARAMS_DIR / "archetypes_nve_ebm.csv"))


def archetype_cube(table: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Need per m² as an array ``[category, building_code, purpose]``.

    Parameters
    ----------
    table : pandas.DataFrame
        A validated archetype table.

    Returns
    -------
    categories : list of str
        Category of each first index.
    cube : numpy.ndarray
        kWh/m²·yr, shape (n_categories, len(BUILDING_CODES), len(PURPOSES)).
    """
    cats = sorted(set(table["building_category"].astype(str)))
    t = table[table["building_code"].isin(BUILDING_CODES) & table["purpose"].isin(PURPOSES)]
    ci = pd.Categorical(t["building_category"].astype(str), categories=cats).codes
    bi = pd.Categorical(t["building_code"], categories=list(BUILDING_CODES)).codes
    pi = pd.Categorical(t["purpose"], categories=list(PURPOSES)).codes
    cube = np.full((len(cats), len(BUILDING_CODES), len(PURPOSES)), np.nan)
    cube[ci, bi, pi] = t["kwh_m2_yr"].to_numpy(dtype=float)
    return cats, cube


def electricity_factor(emission_set: str, year: int) -> float:
    """Electricity emission factor (g CO2e/kWh) of a named set in a year.

    Linear interpolation between the years of the set's trajectory, constant
    before the first and after the last year given.
    """
    table = _read_params("emission_factors.csv")
    rows = table[(table["emission_set"] == emission_set) & (table["carrier"] == "electricity")]
    if rows.empty:
        raise InputError(Problem("EnergyParams", f"unknown emission_set {emission_set!r}",
                                 f"use one of {', '.join(EMISSION_SETS)}", column="emission_set"))
    rows = rows.sort_values("year")
    return float(np.interp(year, rows["year"].to_numpy(float), rows["g_co2e_kwh"].to_numpy(float)))


def carrier_factors(params: EnergyParams) -> dict[str, float]:
    """Emission factor (g CO2e/kWh) per carrier; district heat is the default."""
    table = _read_params("emission_factors.csv")
    fuels = table[table["emission_set"] == "all"]
    out = dict(zip(fuels["carrier"], fuels["g_co2e_kwh"].astype(float)))
    out["electricity"] = electricity_factor(params.emission_set, params.year)
    out["district_heat"] = float(params.dh_default_co2_g_kwh)
    return out


# --------------------------------------------------------------------------- floor area, codes
def floor_area(buildings: gpd.GeoDataFrame, *, storey_height_m: float,
               gross_to_heated_factor: float) -> pd.Series:
    """Heated floor area (m²) of each building.

    ``floor_area_m2`` from the data where given; else footprint area × floors ×
    ``gross_to_heated_factor``, with floors = ``round(height_m / storey_height_m)``
    (at least 1) where only a height is known, and 1 floor when neither is.

    Returns
    -------
    pandas.Series
        Named ``floor_area_m2``, on the input index.
    """
    n = len(buildings)
    nan = np.full(n, np.nan)
    floors = (pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(float)
              if "floors" in buildings else nan)
    height = (pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(float)
              if "height_m" in buildings else nan)
    from_height = np.maximum(1.0, np.round(height / storey_height_m))
    floors = np.where(np.isfinite(floors), floors, np.where(np.isfinite(height), from_height, 1.0))
    footprint = shapely.area(np.asarray(buildings.geometry.array))
    area = footprint * floors * gross_to_heated_factor
    given = (pd.to_numeric(buildings["floor_area_m2"], errors="coerce").to_numpy(float)
             if "floor_area_m2" in buildings else nan)
    area = np.where(np.isfinite(given), given, area)
    return pd.Series(area, index=buildings.index, name="floor_area_m2")


def floor_area_source(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Where each building's floor area comes from.

    ``floor_area`` (given), ``floors`` (footprint × given floors), ``height``
    (floors from ``height_m``) or ``default`` (neither known: 1 floor assumed,
    the floor area is then a lower bound).

    Returns
    -------
    pandas.Series
        Named ``floor_area_source``, on the input index. (An imported district's
        ``floors_source`` column — tagged, inferred or default storeys — is kept as it is.)
    """
    n = len(buildings)

    def known(col: str) -> np.ndarray:
        if col not in buildings:
            return np.zeros(n, bool)
        return np.isfinite(pd.to_numeric(buildings[col], errors="coerce").to_numpy(float))

    src = np.where(known("floor_area_m2"), "floor_area",
                   np.where(known("floors"), "floors", np.where(known("height_m"), "height", "default")))
    return pd.Series(src, index=buildings.index, name="floor_area_source", dtype="str")


def building_code_from_year(year: pd.Series | np.ndarray) -> np.ndarray:
    """Building-code period of each construction year (EBM ``building_code_parameters``).

    Years after the last period's end are given its code (TEK17); ``PASSIVE_HOUSE`` is
    never derived from a year, only set explicitly in ``building_code``.
    """
    table = _read_params("building_codes.csv").sort_values("period_start_year")
    y = np.asarray(pd.to_numeric(pd.Series(np.asarray(year)), errors="coerce"), dtype=float)
    idx = np.searchsorted(table["period_start_year"].to_numpy(float), y, side="right") - 1
    idx = np.clip(idx, 0, len(table) - 1)
    return table["building_code"].to_numpy(dtype=object)[idx]


# --------------------------------------------------------------------------- network distance
def nearest_segment(geometries: np.ndarray, heat_network: gpd.GeoDataFrame | None, *,
                    exact_within_m: float | None = None,
                    sample_spacing_m: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest network segment and the distance to it (m).

    Two stages, both vectorised:

    1. The network is sampled every ``sample_spacing_m`` metres (vertices of
       ``shapely.segmentize``) into a ``scipy.spatial.cKDTree``; each
       geometry's bounding-box centre finds its nearest sample and so a candidate segment,
       and the exact geometry-to-segment distance ``d`` is measured. ``d`` is
       an upper bound of the true distance ``D``:
       ``D <= d <= D + r + spacing / 2`` with ``r`` half the diagonal of the
       geometry's bounding box.
    2. Where ``d <= exact_within_m`` a shapely ``STRtree`` query
       (``dwithin d``) lists every segment that could be nearer and the exact
       minimum is kept, so distances and segments are exact within that
       radius (which covers every distance used for connection decisions).

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        Buildings (any geometry type).
    heat_network : geopandas.GeoDataFrame | None
        Network lines.
    exact_within_m : float | None
        Radius of exact results; default from ``dh_defaults.csv``.
    sample_spacing_m : float | None
        Sampling step along the lines; default from ``dh_defaults.csv``.

    Returns
    -------
    segment : numpy.ndarray of int
        Position of the nearest segment in ``heat_network``; -1 without network.
    distance : numpy.ndarray of float
        Distance in CRS units (m); NaN without network.
    """
    from scipy.spatial import cKDTree

    exact_within_m = _DH_DEFAULTS["exact_distance_within_m"] if exact_within_m is None \
        else exact_within_m
    spacing = _DH_DEFAULTS["network_sample_spacing_m"] if sample_spacing_m is None \
        else sample_spacing_m
    n = len(geometries)
    seg = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if heat_network is None or len(heat_network) == 0 or n == 0:
        return seg, dist
    lines = np.asarray(heat_network.geometry.array)
    ok_line = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    valid = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    if not ok_line.any() or not valid.any():
        return seg, dist
    line_pos = np.flatnonzero(ok_line)
    pts, owner = shapely.get_coordinates(shapely.segmentize(lines[line_pos], spacing),
                                         return_index=True)
    vi = np.flatnonzero(valid)
    g = geometries[vi]
    box_ = shapely.bounds(g)
    centre = np.column_stack([(box_[:, 0] + box_[:, 2]) / 2, (box_[:, 1] + box_[:, 3]) / 2])
    _, k = cKDTree(pts).query(centre, k=1)
    cand = line_pos[owner[k]]
    d = shapely.distance(g, lines[cand])
    # stage 2: exact minimum for geometries near the network
    near = np.flatnonzero(d <= exact_within_m)
    if len(near):
        tree = shapely.STRtree(np.where(ok_line, lines, None))
        gi, li = tree.query(g[near], predicate="dwithin", distance=d[near])
        dd = shapely.distance(g[near][gi], lines[li])
        order = np.lexsort((li, dd, gi))  # per geometry: smallest distance, then lowest index
        gi, li, dd = gi[order], li[order], dd[order]
        first = np.r_[True, gi[1:] != gi[:-1]]
        cand[near[gi[first]]] = li[first]
        d[near[gi[first]]] = dd[first]
    seg[vi] = cand
    dist[vi] = d
    return seg, dist


def _check_crs(buildings: gpd.GeoDataFrame, heat_network: gpd.GeoDataFrame | None) -> None:
    if heat_network is None or len(heat_network) == 0:
        return
    if buildings.crs is not None and heat_network.crs is not None and \
            not buildings.crs.equals(heat_network.crs):
        raise InputError(Problem(
            "heat_network", f"CRS {heat_network.crs.to_string()} differs from the buildings' "
                            f"{buildings.crs.to_string()}",
            "reproject one layer with `to_crs()` so both share the district CRS"))


def _validate_buildings(buildings: gpd.GeoDataFrame) -> None:
    where = "buildings"
    problems: list[Problem] = []
    if not isinstance(buildings, gpd.GeoDataFrame):
        raise TypeError(f"'buildings' should be a GeoDataFrame, got {type(buildings)}")
    for col in ("use", "heating"):
        if col not in buildings:
            problems.append(Problem(where, f"missing column '{col}'", f"add '{col}'", column=col))
    if "year" not in buildings and "building_code" not in buildings:
        problems.append(Problem(where, "neither 'year' nor 'building_code' given",
                                "add the construction year", column="year"))
    if problems:
        raise InputError(problems)
    ids = (buildings["building_id"].astype(str).to_numpy() if "building_id" in buildings
           else np.arange(len(buildings)).astype(str))
    checks = [("use", USES), ("heating", HEATING)]
    if "building_code" in buildings:
        checks.append(("building_code", BUILDING_CODES))
    for col, vocab in checks:
        s = buildings[col]
        bad = (~s.isin(vocab) & ~(s.isna() if col == "building_code" else False)).to_numpy()
        for i in np.flatnonzero(bad)[:50]:
            problems.append(Problem(where, f"unknown {col} {s.iloc[i]!r}",
                                    f"use one of {', '.join(vocab)}", row=ids[i], column=col))
    if "year" in buildings:
        code_given = (buildings["building_code"].notna().to_numpy()
                      if "building_code" in buildings else np.zeros(len(buildings), bool))
        year = pd.to_numeric(buildings["year"], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(year) & ~code_given
        for i in np.flatnonzero(bad)[:50]:
            problems.append(Problem(where, "no construction year and no building_code",
                                    "give 'year' (or 'building_code')", row=ids[i], column="year"))
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------- the estimate
def estimate_buildings(buildings: gpd.GeoDataFrame, heat_network: gpd.GeoDataFrame | None, *,
                       params: EnergyParams) -> gpd.GeoDataFrame:
    """Energy need, delivered energy, emissions and district-heat status per building.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Buildings layer (``use``, ``heating``, ``year`` and/or ``building_code``,
        ``floors``/``height_m``/``floor_area_m2``; optional ``dh_connected``).
    heat_network : geopandas.GeoDataFrame | None
        District-heating lines (``network_id``, optional ``co2_g_kwh``); all
        segments given count, including ``planned`` ones (a scenario passes the
        network it assumes built). None or empty means no network.
    params : EnergyParams
        Parameters.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``floor_area_m2``, ``building_code``, ``dist_heat_network_m``
        (NaN without a network), ``network_id``, ``dh_connected``, ``heating``
        (district_heating for connected buildings), ``need_<purpose>_kwh_yr``,
        ``delivered_<carrier>_kwh_yr``, ``heat_kwh_yr`` (space heating + hot
        water delivered into the building), ``electricity_kwh_yr``,
        ``energy_kwh_yr`` (all delivered energy), ``dh_co2_g_kwh``,
        ``co2_kg_yr`` and ``floor_area_source``; with the bundled NVE table also
        ``building_condition`` (given, or ``stock_average``) and
        ``space_heating_condition_factor`` (the need is NVE EBM's with its
        behaviour factors, improvements of ``params.year`` and condition
        reduction, :mod:`twin.ebm`). Buildings of use ``unheated`` or heating
        ``none`` get zero energy.
    """
    _validate_buildings(buildings)
    _check_crs(buildings, heat_network)
    out = buildings.copy()
    n = len(out)
    table = params.archetypes if params.archetypes is not None else _bundled_archetypes()
    if params.archetypes is not None:
        table = _validate_archetypes(table, where="EnergyParams.archetypes")
    cats, cube = archetype_cube(table)

    # floor area and building code
    area = floor_area(out, storey_height_m=params.storey_height_m,
                      gross_to_heated_factor=params.gross_to_heated_factor).to_numpy()
    out["floor_area_m2"] = area
    out["floor_area_source"] = floor_area_source(buildings)
    code = building_code_from_year(out["year"]) if "year" in out else np.full(n, None, object)
    if "building_code" in out:
        given = out["building_code"]
        code = np.where(given.notna().to_numpy(), given.to_numpy(dtype=object), code)
    out["building_code"] = pd.array(code, dtype="str")

    # archetype lookup
    uc = _use_categories()
    use_to_cat = dict(zip(uc["use"], uc["building_category"].where(uc["heated"].astype(bool))))
    cat_of_use = out["use"].map(use_to_cat)
    heated_use = cat_of_use.notna().to_numpy()
    ci = pd.Categorical(cat_of_use.where(heated_use), categories=cats).codes
    bi = pd.Categorical(code, categories=list(BUILDING_CODES)).codes
    heated = heated_use & (out["heating"].to_numpy(dtype=object) != "none")
    spec = np.zeros((n, len(PURPOSES)))
    spec[heated] = cube[ci[heated], bi[heated], :]
    if params.archetypes is None:  # NVE's table: apply NVE EBM's own adjustments (twin.ebm)
        factors = ebm.factor_cube(tuple(cats), tuple(BUILDING_CODES), PURPOSES, int(params.year))
        spec[heated] *= factors[ci[heated], bi[heated], :]
        cond = (out["building_condition"].astype(object).where(out["building_condition"].notna(), ebm.STOCK_AVERAGE)
                .to_numpy(dtype=object) if "building_condition" in out
                else np.full(n, ebm.STOCK_AVERAGE, dtype=object))
        built = (pd.to_numeric(out["year"], errors="coerce").to_numpy(float) if "year" in out
                 else np.full(n, np.nan))
        code_year = _read_params("building_codes.csv").set_index("building_code")["building_year"]
        built = np.where(np.isfinite(built), built,
                         pd.Series(code).map(code_year).astype(float).fillna(float(params.year)).to_numpy())
        age = np.maximum(float(params.year) - built, 0.0)
        cat_arr = np.asarray(cats, dtype=object)[np.maximum(ci, 0)]
        cat_arr = np.where(ci >= 0, cat_arr, None)
        f_sh = np.ones(n)
        f_sh[heated] = ebm.space_heating_condition_factor(cat_arr[heated], code[heated], cond[heated], age[heated])
        spec[:, 0] *= f_sh
        out["building_condition"] = pd.array(cond, dtype="str")
        out["space_heating_condition_factor"] = f_sh
    need = spec * area[:, None]
    for j, p in enumerate(PURPOSES):
        out[f"need_{p}_kwh_yr"] = need[:, j]
    heat = need[:, 0] + need[:, 1]

    # district heating: distance, connection
    geoms = np.asarray(out.geometry.array)
    exact = _DH_DEFAULTS["exact_distance_within_m"]
    if params.connect_within_m is not None:
        exact = max(exact, params.connect_within_m)
    seg, dist = nearest_segment(geoms, heat_network, exact_within_m=exact)
    out["dist_heat_network_m"] = dist
    has_net = seg >= 0
    if heat_network is not None and len(heat_network) and "network_id" in heat_network:
        nid = heat_network["network_id"].astype(str).to_numpy(dtype=object)
        out["network_id"] = pd.array(np.where(has_net, nid[np.maximum(seg, 0)], None), dtype="str")
    else:
        out["network_id"] = pd.array([None] * n, dtype="str")
    heating = out["heating"].to_numpy(dtype=object).copy()
    connected = heating == "district_heating"
    if "dh_connected" in out:
        data = out["dh_connected"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        connected |= data
    if params.connect_within_m is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(dist > 0, heat / 1000.0 / dist, np.inf)
        auto = (has_net & heated & (dist <= params.connect_within_m)
                & (heat >= params.connect_min_heat_kwh_yr)
                & (density >= params.connect_min_density_mwh_m_yr))
        connected |= auto
    connected &= heated
    heating[connected] = "district_heating"
    out["heating"] = pd.array(heating, dtype="str")
    out["dh_connected"] = connected

    # delivered energy per carrier
    hs = _read_params("heating_systems.csv").set_index("heating")
    hi = pd.Categorical(heating, categories=list(hs.index)).codes
    carrier_index = {c: k for k, c in enumerate(CARRIERS)}
    delivered = np.zeros((n, len(CARRIERS)))

    def add(carrier_col: str, share: np.ndarray, amount: np.ndarray) -> None:
        carriers = hs[carrier_col].to_numpy(dtype=object)[hi]
        for c, k in carrier_index.items():
            m = carriers == c
            delivered[m, k] += amount[m] * share[m]

    sh, dhw = need[:, 0], need[:, 1]
    for load in ("base", "peak"):
        cov = hs[f"{load}_coverage"].to_numpy(float)[hi]
        eff = hs[f"{load}_efficiency"].to_numpy(float)[hi]
        add(f"{load}_carrier", cov / eff, sh)
    add("dhw_carrier", 1.0 / hs["dhw_efficiency"].to_numpy(float)[hi], dhw)
    el = carrier_index["electricity"]
    cool_cop = hs["cooling_efficiency"].to_numpy(float)[hi]
    delivered[:, el] += need[:, 2] + need[:, 3] + need[:, 4] + need[:, 5] / cool_cop
    delivered[~heated] = 0.0
    for c, k in carrier_index.items():
        out[_CARRIER_COLUMN[c]] = delivered[:, k]

    out["heat_kwh_yr"] = np.where(heated, heat, 0.0)
    out["electricity_kwh_yr"] = delivered[:, el]
    out["energy_kwh_yr"] = delivered.sum(axis=1)

    # emissions
    factors = carrier_factors(params)
    dh_factor = np.full(n, params.dh_default_co2_g_kwh)
    if heat_network is not None and len(heat_network) and "co2_g_kwh" in heat_network:
        seg_f = pd.to_numeric(heat_network["co2_g_kwh"], errors="coerce").to_numpy(float)
        f = np.where(has_net, seg_f[np.maximum(seg, 0)], np.nan)
        dh_factor = np.where(np.isfinite(f), f, dh_factor)
    out["dh_co2_g_kwh"] = dh_factor
    g = np.zeros(n)
    for c, k in carrier_index.items():
        g += delivered[:, k] * (dh_factor if c == "district_heat" else factors[c])
    out["co2_kg_yr"] = g / 1000.0
    return out


def district_totals(buildings: pd.DataFrame) -> dict:
    """District totals of an :func:`estimate_buildings` result.

    Returns
    -------
    dict
        ``buildings``, ``floor_area_m2``, ``energy_mwh_yr``, ``heat_mwh_yr``,
        ``electricity_mwh_yr``, ``co2_buildings_t_yr``, ``dh_connected_share``
        (share of heated floor area), ``need_mwh_yr`` (per purpose),
        ``delivered_mwh_yr`` (per carrier) and ``by_use`` (per use: floor area,
        energy, heat, electricity, CO2 and energy per m²).
    """
    kwh = 1000.0
    df = pd.DataFrame(buildings.drop(columns="geometry", errors="ignore"))
    area = df["floor_area_m2"].astype(float)
    heated_area = area.where(df["heat_kwh_yr"] > 0, 0.0)
    by_use = {}
    for use, g in df.groupby("use", sort=True):
        a = float(g["floor_area_m2"].sum())
        e = float(g["energy_kwh_yr"].sum())
        by_use[str(use)] = {
            "buildings": int(len(g)),
            "floor_area_m2": a,
            "energy_mwh_yr": e / kwh,
            "heat_mwh_yr": float(g["heat_kwh_yr"].sum()) / kwh,
            "electricity_mwh_yr": float(g["electricity_kwh_yr"].sum()) / kwh,
            "co2_t_yr": float(g["co2_kg_yr"].sum()) / kwh,
            "energy_kwh_m2_yr": e / a if a > 0 else 0.0,
        }
    total_heated = float(heated_area.sum())
    return {
        "buildings": int(len(df)),
        "floor_area_m2": float(area.sum()),
        "energy_mwh_yr": float(df["energy_kwh_yr"].sum()) / kwh,
        "heat_mwh_yr": float(df["heat_kwh_yr"].sum()) / kwh,
        "electricity_mwh_yr": float(df["electricity_kwh_yr"].sum()) / kwh,
        "co2_buildings_t_yr": float(df["co2_kg_yr"].sum()) / kwh,
        "dh_connected_share": (float(heated_area[df["dh_connected"].astype(bool)].sum())
                               / total_heated if total_heated > 0 else 0.0),
        "need_mwh_yr": {p: float(df[f"need_{p}_kwh_yr"].sum()) / kwh for p in PURPOSES},
        "delivered_mwh_yr": {c: float(df[col].sum()) / kwh for c, col in _CARRIER_COLUMN.items()},
        "by_use": by_use,
    }
