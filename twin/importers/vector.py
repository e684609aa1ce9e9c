"""Import a municipal building register (any GDAL vector format) with a YAML column mapping.

A mapping file says which source columns hold the schema's columns and how
source codes translate to the schema's vocabularies::

    layer: Bygning                 # optional: source layer
    crs: EPSG:25833                # optional: assigned when the file has none
    attribution: "© Kartverket"    # optional: written to district.yaml
    licence: CC BY 4.0             # optional
    columns:                       # target: source
      building_id: bygningsnummer
      use: bygningstype
      year: byggeaar
      floors: antall_etasjer
    values:
      use:                         # exact codes (shorthand) ...
        111: house
        142: apartment
      heating:                     # ... or rules
        codes: {1: district_heating}
        prefix: {"Bostad; Småhus": house}
        regex: {"(?i)radhus|kedjehus": row_house}
        default: electric          # for codes not listed
    defaults:                      # for columns the file does not have (or empty cells)
      heating: electric
      year: 1970

Exact codes win over regex rules, regex rules over prefix rules; the
longest matching prefix wins. Codes not covered raise an
:class:`~twin._errors.InputError` that lists them, unless the column has a
``default``.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from twin._yaml import read_yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from twin import schema as sch
from twin._errors import InputError, Problem, input_error

__all__ = ["import_vector", "load_mapping", "apply_mapping", "check_mapped", "disambiguate_ids",
           "Mapping", "ValueMap", "RegisterWarning"]

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
_RULE_KEYS = {"codes", "prefix", "regex", "default"}
#: At most this many unmapped codes are listed in one error line.
MAX_CODES_LISTED = 20


class ValueMap(BaseModel):
    """Value translation for one target column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    codes: dict[str, str] = {}
    prefix: dict[str, str] = {}
    regex: dict[str, str] = {}
    default: str | None = None

    @field_validator("codes", "prefix", "regex", mode="before")
    @classmethod
    def _str_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {_code(k): (str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x)
                    for k, x in v.items()}
        return v

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: dict[str, str]) -> dict[str, str]:
        for pat in v:
            try:
                re.compile(pat)
            except re.error as exc:
                msg = f"regex {pat!r} does not compile: {exc}"
                raise ValueError(msg) from None
        return v

    def targets(self) -> set[str]:
        """Every value this map can produce."""
        out = set(self.codes.values()) | set(self.prefix.values()) | set(self.regex.values())
        if self.default is not None:
            out.add(self.default)
        return out


class Mapping(BaseModel):
    """A register mapping (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    source: str = ""
    attribution: str = ""
    licence: str = ""
    layer: str | None = None
    crs: str | None = None
    columns: dict[str, str | list[str]] = {}
    values: dict[str, ValueMap] = {}
    defaults: dict[str, str | int | float | bool] = {}
    #: target → parser for text values: ``kw`` reads capacities such as "3,6 kW" or
    #: "43 kW AC; 50 kW DC" (largest), ``number`` the first number. With several
    #: source columns the largest parsed value is taken (``kw``) or the first present.
    parse: dict[str, Literal["kw", "number"]] = {}

    def sources(self) -> dict[str, list[str]]:
        """Target column → its source column(s)."""
        return {t: ([c] if isinstance(c, str) else list(c)) for t, c in self.columns.items()}

    @field_validator("values", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: (m if isinstance(m, dict) and m and set(m) <= _RULE_KEYS
                        else {"codes": m} if isinstance(m, dict) else m)
                    for k, m in v.items()}
        return v


def _code(v: Any) -> str:
    """A source value as a code string (``111``, ``111.0`` and ``"111"`` are the same code)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def load_mapping(mapping: dict | str | os.PathLike, *, layer: str = "buildings") -> tuple[Mapping, str]:
    """Parse and validate a mapping (a dict, a YAML file, or the name of a bundled mapping).

    Parameters
    ----------
    mapping : dict | str | path-like
        A mapping dict, a path to a YAML file, or a bundled mapping name
        such as ``"matrikkel_no"``.
    layer : {"buildings", "charging_points"}
        The district layer the mapping fills.

    Returns
    -------
    (Mapping, str)
        The validated mapping and where it came from (for messages).

    Raises
    ------
    InputError
        Unreadable YAML, unknown keys, wrong types, or target values outside
        the schema's vocabularies; each problem names the file and key.
    """
    if isinstance(mapping, dict):
        data, where = mapping, "mapping"
    else:
        p = Path(mapping)
        if not p.exists() and (MAPPINGS_DIR / f"{p.name}.yaml").exists():
            p = MAPPINGS_DIR / f"{p.name}.yaml"
        where = str(p)
        if not p.exists():
            raise input_error(where, "mapping file not found",
                              f"give a YAML file or one of {sorted(q.stem for q in MAPPINGS_DIR.glob('*.yaml'))}")
        data = read_yaml(p, kind="mapping file")
        if not isinstance(data, dict):
            raise input_error(where, "the mapping must be a YAML mapping (key: value)",
                              "see twin/importers/mappings/*.yaml for examples")
    known = {c.name for c in sch.LAYERS[layer].columns}
    problems = [Problem(where, f"unknown target column for the {layer} layer",
                        f"use one of {', '.join(sorted(known))}", column=f"{section}.{key}")
                for section in ("columns", "values", "defaults", "parse")
                if isinstance(data.get(section), dict)
                for key in data[section] if key not in known]
    if problems:
        raise InputError(problems)
    try:
        m = Mapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(x) for x in err["loc"])
            what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(where, what, "see the mapping format in twin/importers/vector.py",
                                    column=key))
        raise InputError(problems) from None
    problems = []
    vocab: dict[str, tuple[str, ...]] = {c.name: c.vocabulary for c in sch.LAYERS[layer].columns
                                         if c.vocabulary is not None}
    vocab.update({c.name: ("true", "false") for c in sch.LAYERS[layer].columns if c.dtype == "bool"})
    for col, vm in m.values.items():
        if col in vocab:
            bad = sorted(t for t in vm.targets() if t not in vocab[col])
            if bad:
                problems.append(Problem(where, f"values {bad} are not in the {col} vocabulary",
                                        f"use one of {', '.join(vocab[col])}", column=f"values.{col}"))
    for col, val in m.defaults.items():
        if col in vocab and str(val).lower() not in vocab[col]:
            problems.append(Problem(where, f"default {val!r} is not in the {col} vocabulary",
                                    f"use one of {', '.join(vocab[col])}", column=f"defaults.{col}"))
    if problems:
        raise InputError(problems)
    return m, where


def _translate(values: pd.Series, vm: ValueMap) -> tuple[pd.Series, list[str]]:
    """Translate source values by a ValueMap; returns (translated, unmapped codes)."""
    regexes = [(re.compile(p), t) for p, t in vm.regex.items()]
    prefixes = sorted(vm.prefix.items(), key=lambda kv: -len(kv[0]))
    cache: dict[str, str | None] = {}

    def one(code: str) -> str | None:
        if code in cache:
            return cache[code]
        out = vm.codes.get(code)
        if out is None:
            out = next((t for rx, t in regexes if rx.search(code)), None)
        if out is None:
            out = next((t for p, t in prefixes if code.startswith(p)), None)
        if out is None:
            out = vm.default
        cache[code] = out
        return out

    result: list[str | None] = []
    unmapped: set[str] = set()
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            result.append(None)
            continue
        code = _code(v)
        t = one(code)
        if t is None:
            unmapped.add(code)
        result.append(t)
    return pd.Series(result, index=values.index, dtype="object"), sorted(unmapped)


#: Columns whose provenance (``<column>_source``) is kept, per layer.
PROVENANCE = {"buildings": ("use", "floors", "year", "heating"),
              "charging_points": ("kw", "connectors", "public")}


def apply_mapping(src: gpd.GeoDataFrame, mapping: Mapping, *, where: str = "input",
                  layer: str = "buildings") -> gpd.GeoDataFrame:
    """Rename, translate and complete a source layer (a building or charger register) by a mapping.

    Parameters
    ----------
    src : geopandas.GeoDataFrame
        The source layer.
    mapping : Mapping
        A validated mapping.
    where : str
        Name of the source (for messages).
    layer : {"buildings", "charging_points"}
        The district layer to fill.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer with the schema's columns that the mapping provides, plus
        provenance columns (buildings: ``use_source``, ``floors_source``,
        ``year_source``, ``heating_source``; chargers: ``kw_source``,
        ``connectors_source``, ``public_source``): ``tagged`` from the
        register, ``inferred`` from a rule, ``default`` from ``defaults:``.

    Raises
    ------
    InputError
        Missing source columns, unmapped codes (listed), required schema
        columns that neither ``columns:`` nor ``defaults:`` provide.
    """
    from twin.importers.osm import parse_kw, parse_number

    layer_schema = sch.LAYERS[layer]
    id_col = next(c.name for c in layer_schema.columns if c.unique)
    problems: list[Problem] = []
    sources = mapping.sources()
    required = {c.name for c in layer_schema.columns if c.required}
    # one source column must exist; of a list of candidates (flat OSM exports have a column only
    # for tags that occur), one must exist unless the target is optional or has a default
    missing = [c for t, cols in sources.items() if isinstance(mapping.columns[t], str)
               for c in cols if c not in src.columns]
    missing += [f"any of {cols}" for t, cols in sources.items()
                if isinstance(mapping.columns[t], list) and not any(c in src.columns for c in cols)
                and t in required and t not in mapping.defaults]
    sources = {t: cols for t, cols in sources.items() if any(c in src.columns for c in cols)}
    if missing:
        problems.append(Problem(where, f"source column(s) {missing} not found (the file has "
                                f"{[c for c in src.columns if c != src.geometry.name]})",
                                "correct `columns:` in the mapping", column="columns"))
        raise InputError(problems)
    out = gpd.GeoDataFrame(geometry=src.geometry.copy(), crs=src.crs)
    provenance: dict[str, np.ndarray] = {}
    n = len(src)
    parsers = {"kw": parse_kw, "number": parse_number}
    for target, cols in sources.items():
        present = [c for c in cols if c in src.columns]
        source = present[0] if len(present) == 1 else " / ".join(present)
        parse = parsers.get(mapping.parse.get(target, ""))
        if parse is not None:
            parsed = np.array([[parse(v) if v is not None and not (isinstance(v, float) and np.isnan(v))
                                else None for v in src[c].astype(object)] for c in present], dtype=float)
            if mapping.parse[target] == "kw":
                with np.errstate(invalid="ignore"):
                    vals = np.where(np.isnan(parsed).all(axis=0), np.nan, np.nanmax(
                        np.where(np.isnan(parsed), -np.inf, parsed), axis=0))
            else:
                first = np.argmax(~np.isnan(parsed), axis=0)
                vals = parsed[first, np.arange(n)]
            col = pd.Series(vals, index=src.index)
        else:
            col = src[present[0]]
            for c in present[1:]:
                col = col.where(pd.notna(col), src[c])
        src_flag = np.array(["tagged"] * n, dtype=object)
        if target in mapping.values:
            vm = mapping.values[target]
            translated, unmapped = _translate(col, vm)
            if unmapped:
                shown = ", ".join(unmapped[:MAX_CODES_LISTED]) + (" ..." if len(unmapped) > MAX_CODES_LISTED else "")
                problems.append(Problem(where, f"{len(unmapped)} code(s) of '{source}' have no "
                                        f"{target} value: {shown}",
                                        f"add them under `values: {target}:` in the mapping "
                                        f"(or give `values: {target}: default:`)", column=source))
                continue
            exact = np.array([_code(v) in vm.codes or v is None for v in col.astype(object)])
            src_flag[~exact] = "inferred"
            col = translated
        elif target == "year":
            col = _years(col)
        out[target] = col.to_numpy() if hasattr(col, "to_numpy") else col
        isna = pd.isna(out[target]).to_numpy()
        src_flag[isna] = "default"
        provenance[target] = src_flag
    if problems:
        raise InputError(problems)
    for target, value in mapping.defaults.items():
        if target not in out.columns:
            out[target] = value
            provenance[target] = np.array(["default"] * n, dtype=object)
        else:
            out[target] = out[target].where(pd.notna(out[target]), value)
    if id_col not in out.columns:
        stem = Path(where).stem
        out[id_col] = [f"{stem}/{i}" for i in range(n)]
    else:
        out[id_col] = [_code(v) for v in out[id_col]]
    req = [c.name for c in layer_schema.columns if c.required and c.name not in out.columns]
    if req:
        problems.append(Problem(where, f"no value for required column(s) {req}",
                                "map them under `columns:` or give them under `defaults:`",
                                column=", ".join(req)))
    for group in layer_schema.one_of:
        if not any(c in out.columns for c in group):
            problems.append(Problem(where, f"none of {list(group)} is mapped",
                                    "map one under `columns:` or give one under `defaults:`",
                                    column=" / ".join(group)))
    if problems:
        raise InputError(problems)
    for target in PROVENANCE[layer]:
        if target in provenance:
            out[f"{target}_source"] = pd.array(list(provenance[target]), dtype="str")
    order = [c.name for c in layer_schema.columns if c.name in out.columns]
    rest = [c for c in out.columns if c not in order and c != out.geometry.name]
    return out[order + rest + [out.geometry.name]]


def check_mapped(out: gpd.GeoDataFrame, layer_schema: sch.LayerSchema, *, where: str,
                 rows: np.ndarray, sources: dict[str, str], id_source: str | None) -> None:
    """Check mapped values against a layer schema and report problems against the source rows.

    Parameters
    ----------
    out : geopandas.GeoDataFrame
        The mapped layer (one row per kept source row).
    layer_schema : twin.schema.LayerSchema
        The schema the values must meet.
    where : str
        The source file (and layer).
    rows : numpy.ndarray
        1-based row number in the source of each row of ``out``.
    sources : dict
        Target column → source column (for messages).
    id_source : str, optional
        Source column of the id, shown beside each row number.

    Raises
    ------
    InputError
        One line per column and kind of problem, listing up to five source rows.
    """
    from twin.district import _coerce

    problems: list[Problem] = []
    id_col = next((c.name for c in layer_schema.columns if c.unique), None)
    ids = out[id_col].astype(str).to_numpy() if id_source and id_col in out.columns else None

    def label(mask: np.ndarray) -> str:
        idx = np.flatnonzero(mask)
        parts = [f"{rows[i]}" + (f" ({id_source}={ids[i]})" if ids is not None else "") for i in idx[:5]]
        return ", ".join(parts) + (f" and {len(idx) - 5} more" if len(idx) > 5 else "")

    for c in layer_schema.columns:
        if c.name not in out.columns:
            continue
        col = f"{c.name} (from '{sources[c.name]}')" if c.name in sources else c.name
        fix_src = (f"correct the register or map the column differently in the mapping"
                   if c.name in sources else "correct `defaults:` in the mapping")
        values, bad_type = _coerce(out[c.name], c.dtype)
        null = values.isna().to_numpy() & ~bad_type
        checks = [(bad_type, f"value is not of type {c.dtype}")]
        if not c.nullable:
            checks.append((null, "missing value"))
        if c.dtype in ("int", "float"):
            v = values.astype("float64").to_numpy()
            ok = ~null & ~bad_type
            if c.min is not None:
                checks.append((ok & (v < c.min), f"value below the schema's minimum {c.min:g} {c.unit}".rstrip()))
            if c.max is not None:
                checks.append((ok & (v > c.max), f"value above the schema's maximum {c.max:g} {c.unit}".rstrip()))
        if c.vocabulary is not None:
            vals = values.to_numpy(dtype=object)
            checks.append((~null & ~bad_type & ~np.isin(vals, list(c.vocabulary)),
                           f"value not one of {', '.join(c.vocabulary)}"))
        for mask, what in checks:
            if mask.any():
                problems.append(Problem(where, f"{what} in {int(mask.sum())} row(s)", fix_src,
                                        row=label(mask), column=col))
    if problems:
        raise InputError(problems)


class RegisterWarning(UserWarning):
    """Register rows that were merged or renamed on import (counted)."""


def disambiguate_ids(buildings: gpd.GeoDataFrame, *, where: str,
                     id_col: str = "building_id") -> gpd.GeoDataFrame:
    """Make repeated source ids unique, so that the district passes ``twin check``.

    Rows that share an id, have the same mapped attributes and touch each
    other are parts of one building (a register that stores a building as
    several polygons): they are merged into one footprint. Other rows with a
    repeated id get ``<id>-2``, ``<id>-3``, ... in file order. A warning
    counts both.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Mapped buildings (metric CRS) with ``id_col``.
    where : str
        The source, for the warning.
    id_col : str
        The id column.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns, unique ids, rows in file order.
    """
    ids = buildings[id_col].astype(str)
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return buildings
    attrs = [c for c in buildings.columns if c not in (id_col, buildings.geometry.name)]
    geom_name = buildings.geometry.name
    keep = np.ones(len(buildings), bool)
    geoms = buildings.geometry.to_numpy().copy()
    new_ids = ids.to_numpy(dtype=object).copy()
    merged = renamed = 0
    repeated = sorted(set(ids[dup]))
    for value in repeated:
        rows = np.flatnonzero((ids == value).to_numpy())
        groups: list[list[int]] = []
        for r in rows:
            key = buildings.iloc[r][attrs].astype(str).tolist()
            for g in groups:
                first = g[0]
                if buildings.iloc[first][attrs].astype(str).tolist() == key and \
                        any(geoms[x].distance(geoms[r]) <= 0.5 for x in g):
                    g.append(int(r))
                    break
            else:
                groups.append([int(r)])
        for k, g in enumerate(groups):
            if len(g) > 1:
                geoms[g[0]] = shapely.union_all([geoms[x] for x in g])
                keep[g[1:]] = False
                merged += len(g) - 1
            if k > 0:
                new_ids[g[0]] = f"{value}-{k + 1}"
                renamed += 1
    out = buildings.copy()
    out[id_col] = pd.array(list(new_ids), dtype="str")
    out[geom_name] = gpd.GeoSeries(geoms, crs=buildings.crs, index=buildings.index)
    out = out[keep].reset_index(drop=True)
    out.attrs["duplicates_merged"] = merged
    shown = ", ".join(repeated[:5]) + (" ..." if len(repeated) > 5 else "")
    warnings.warn(f"{where}: {len(repeated)} id(s) occur in {int(dup.sum())} rows ({shown}): "
                  f"{merged} touching part(s) with the same attributes merged into their building, "
                  f"{renamed} other row(s) given the id <id>-2, <id>-3, ...", RegisterWarning, stacklevel=2)
    return out


def _years(col: pd.Series) -> pd.Series:
    """Years from numbers, dates or date strings."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.year.astype("Int64")
    if pd.api.types.is_numeric_dtype(col):
        return col.round().astype("Int64")
    from twin.importers.osm import parse_year

    return pd.array([parse_year(v)[0] if v is not None and not pd.isna(v) else None for v in col],
                    dtype="Int64")


def import_vector(path: str | os.PathLike, *, mapping: dict | str | os.PathLike,
                  population: gpd.GeoDataFrame | None = None,
                  layer: str = "buildings") -> dict[str, gpd.GeoDataFrame]:
    """Read a building or charger register in any GDAL vector format and map it to a district layer.

    Parameters
    ----------
    path : path-like
        The register file (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, GML,
        SOSI via GDAL where supported, ...), or NOBIL's JSON data dump
        (``{"chargerstations": [{"csmd": ..., "attr": ...}]}``).
    mapping : dict | str | path-like
        The mapping (dict, YAML path, or bundled name such as
        ``"matrikkel_no"``, ``"lantmateriet_se"``, ``"bbr_dk"``, ``"nobil"``,
        ``"osm_charging_station"``).
    population : geopandas.GeoDataFrame, optional
        A population grid (:func:`twin.population.read_population_grid`):
        ``residents`` are allocated to the buildings by residential floor
        area, each cell's count exactly, unless the register maps them.
    layer : {"buildings", "charging_points"}
        The district layer the register fills.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``{"buildings": ...}`` in the file's CRS (or the mapping's ``crs:``);
        with a grid also ``population`` (the cells that touch the buildings).
        For ``layer="charging_points"``: ``{"charging_points": ...}`` (points;
        lon/lat registers are projected to their UTM zone).

    Raises
    ------
    InputError
        Unreadable file, unknown layer, no CRS, bad mapping, unmapped codes,
        mapped values outside the schema (named by source row).
    """
    if layer not in PROVENANCE:
        raise input_error(f"--layer {layer}", "unknown layer", f"use one of {', '.join(PROVENANCE)}")
    m, mwhere = load_mapping(mapping, layer=layer)
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise input_error(where, "file not found", "check the path")
    src = _read_nobil(path) if _is_nobil(path) else _read_vector(path, m, mwhere)
    if m.layer is not None and not _is_nobil(path):
        where = f"{where}: layer {m.layer}"
    if src.crs is None:
        if m.crs is None:
            raise input_error(where, "the file has no CRS", f"add `crs: EPSG:....` to {mwhere}")
        src = src.set_crs(m.crs)
    if not src.crs.is_projected:
        if layer == "charging_points" and len(src):
            from twin.importers.osm import utm_crs

            minx, miny, maxx, maxy = src.total_bounds
            src = src.to_crs(utm_crs((minx + maxx) / 2, (miny + maxy) / 2))
        else:
            raise input_error(where, f"CRS {src.crs.to_string()} is not metric",
                              "reproject the file to a metric CRS (e.g. ogr2ogr -t_srs EPSG:25833)")
    if len(src) == 0:
        raise input_error(where, "no features", "check the file and `layer:`")
    rows = np.arange(1, len(src) + 1)
    ok = (src.geometry.notna() & ~src.geometry.is_empty).to_numpy().copy()
    if layer == "buildings":
        ok &= src.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    src, rows = src[ok].reset_index(drop=True), rows[ok]
    if len(src) == 0:
        what = "the building footprint layer" if layer == "buildings" else "the charging stations"
        raise input_error(where, f"no {'polygon ' if layer == 'buildings' else ''}features", f"give {what}")
    if layer == "charging_points":  # stations mapped as areas or lines: their representative point
        src = src.set_geometry(src.geometry.representative_point())
    mapped = apply_mapping(src, m, where=where, layer=layer)
    sources = {t: " / ".join(c) for t, c in m.sources().items()}
    id_col = next(c.name for c in sch.LAYERS[layer].columns if c.unique)
    check_mapped(mapped, sch.LAYERS[layer], where=where, rows=rows, sources=sources,
                 id_source=sources.get(id_col))
    mapped = disambiguate_ids(mapped, where=where, id_col=id_col)
    mapped.attrs["attribution"] = m.attribution or f"Imported from {path.name}"
    mapped.attrs["licence"] = m.licence
    if layer == "charging_points":
        from twin.district import validate_layer

        typed = validate_layer(mapped, sch.CHARGING_POINTS, crs=mapped.crs, where=where)
        typed.attrs.update(mapped.attrs)
        return {"charging_points": typed}
    out: dict[str, gpd.GeoDataFrame] = {}
    if "residents" in mapped.columns:
        residents_from = f"the register ('{sources.get('residents', 'defaults')}')"
    elif population is not None:
        from twin.population import add_residents

        mapped, out["population"], residents_from = add_residents(
            mapped, population, where=str(population.attrs.get("path", "population grid")))
        mapped.attrs["attribution"] = m.attribution or f"Imported from {path.name}"
        mapped.attrs["licence"] = m.licence
    else:
        residents_from = "estimated from floor area only (no population grid)"
    mapped.attrs["residents_from"] = residents_from
    return {"buildings": mapped, **out}


def _read_vector(path: Path, m: Mapping, mwhere: str) -> gpd.GeoDataFrame:
    import pyogrio

    where = str(path)
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise input_error(where, f"cannot open as a vector file ({' '.join(str(exc).split())})",
                          "give a file GDAL can read (GeoPackage, Shapefile, GeoJSON, ...)") from None
    if m.layer is not None and m.layer not in layers:
        raise input_error(where, f"layer '{m.layer}' not found (the file has {layers})",
                          f"correct `layer:` in {mwhere}", column="layer")
    try:
        return gpd.read_file(path, layer=m.layer, engine="pyogrio")
    except Exception as exc:
        raise input_error(where, f"cannot read ({' '.join(str(exc).split())})",
                          "the file is truncated or corrupt; export it again") from None


def _is_nobil(path: Path) -> bool:
    """Whether a file is NOBIL's JSON data dump (``"chargerstations"`` near its start)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return b'"chargerstations"' in head


_POSITION = re.compile(r"^\s*\(?\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*\)?\s*$")


def _read_nobil(path: Path) -> gpd.GeoDataFrame:
    """Flatten NOBIL's data dump into one row per station (WGS 84 points).

    Columns: the ``csmd`` fields (``id``, ``name``, ``Number_charging_points``,
    ``Owned_by``, ``Operator``, ...), ``Availability`` (station attribute 2,
    e.g. "Public", "Visitors", "Employees", "Residents") and ``capacity``: the
    connectors' "Charging capacity" texts (connector attribute 5, e.g.
    "7,4 kW - 230V 1-phase max 32A", "50 kW - 500VDC max 125A") joined by
    "; ". ``Position`` "(lat,lon)" gives the point.

    NOBIL data: © NOBIL / Enova SF, Creative Commons Attribution 4.0
    (https://info.nobil.no/api).
    """
    import json

    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise input_error(where, f"not valid JSON ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})",
                          "download the NOBIL data dump again") from None
    stations = data.get("chargerstations") if isinstance(data, dict) else None
    if not isinstance(stations, list):
        raise input_error(where, "a NOBIL data dump needs a 'chargerstations' list",
                          "use NOBIL's datadump.php?format=json output")
    rows, geoms, problems = [], [], []
    for i, st in enumerate(stations):
        csmd = st.get("csmd") if isinstance(st, dict) else None
        if not isinstance(csmd, dict):
            problems.append(Problem(where, "station without a 'csmd' object", "repair or drop the station",
                                    row=str(i + 1)))
            continue
        pos = _POSITION.match(str(csmd.get("Position", "")))
        if not pos or not (-90 <= float(pos.group(1)) <= 90 and -180 <= float(pos.group(2)) <= 180):
            problems.append(Problem(where, f"Position {csmd.get('Position')!r} is not '(lat,lon)' in WGS 84",
                                    "repair or drop the station", row=f"{i + 1} (id={csmd.get('id')})"))
            continue
        attr = st.get("attr") if isinstance(st.get("attr"), dict) else {}
        station_attrs = attr.get("st") if isinstance(attr.get("st"), dict) else {}
        avail = station_attrs.get("2", {})
        conns = attr.get("conn") if isinstance(attr.get("conn"), dict) else {}
        caps = [str(c.get("5", {}).get("trans", "")) for c in conns.values()
                if isinstance(c, dict) and isinstance(c.get("5"), dict)]
        row = {k: v for k, v in csmd.items() if not isinstance(v, (dict, list))}
        row["Availability"] = avail.get("trans") if isinstance(avail, dict) else None
        row["capacity"] = "; ".join(c for c in caps if c) or None
        rows.append(row)
        geoms.append(shapely.Point(float(pos.group(2)), float(pos.group(1))))
        if len(problems) >= 10:
            break
    if problems:
        raise InputError(problems)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")
