"""Scenario files: local-plan changes and parameters, validated with pydantic.

A scenario is a YAML file (read with :func:`twin._yaml.read_yaml`: plain data only,
no aliases, no duplicate keys, nothing is evaluated)::

    name: fornebu-2027
    description: What a zero-emission Fornebu takes
    extends: baseline.yaml          # inherit parameters, modifications, targets
    year: 2027
    parameters:
      emission_set: ns3720_eu
      ev_share: 0.85
      rain_mm: 50
    modifications:
      - change_heating: {where: {heating: [oil, gas]}, to: hp_air_water}
      - extend_heat_network: {file: data/fornebu_dh_extension.gpkg}
      - add_chargers: {target_coverage: 1.0, kw: 22, connectors: 2}
    targets:
      - {name: co2_reduction, indicator: co2_total_t_yr, reduction: 0.65,
         reference: reference/fornebu-2009.yaml}
    phases:
      - {year: 2030, parameters: {ev_share: 0.95}}

Unknown keys, wrong types, unknown indicators, emission sets or mode-share
keys, and bad references are :class:`~twin._errors.InputError` lines that name
the file, the line, the key and the allowed values; :func:`load_scenario`
reports every problem of a file at once, so ``twin check`` rejects what
``twin run`` would.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from twin import schema as sch
from twin._errors import InputError, Problem, input_error
from twin._text import LocalText
from twin._yaml import read_yaml
from twin._yaml import short as _short  # one-line, bounded text of a value

UseWord = Literal[sch.USES]  # type: ignore[valid-type]
HeatingWord = Literal[sch.HEATING]  # type: ignore[valid-type]
CodeWord = Literal[sch.BUILDING_CODES]  # type: ignore[valid-type]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameters(_Model):
    """Model parameters a scenario may set; unset ones keep the defaults."""

    emission_set: str | None = Field(None, description="electricity emission-factor set (twin/params/emission_factors.csv)")
    ev_share: float | None = Field(None, ge=0, le=1, description="share of car-km driven electric")
    mode_shares: dict[str, float] | None = Field(None, description="trip mode shares (car_driver, car_passenger, public_transport, bicycle, walking)")
    car_ownership_factor: float | None = Field(None, ge=0, le=3, description="parking norm / car ownership effect on car-driver trips (1 = today)")
    walk_distance_m: float | None = Field(None, gt=0, le=5000, description="walking distance to a charger counted as covered")
    rain_mm: float | None = Field(None, ge=0, le=1000, description="uniform rain event")
    uniform_runoff: bool | None = Field(None, description="runoff coefficient 1.0 everywhere")
    flooded_depth_m: float | None = Field(None, gt=0, le=10, description="water depth counted as a flooded building")
    archetypes: str | None = Field(None, description="own archetype table (CSV, same columns as twin/params)")
    dh_co2_g_kwh: float | None = Field(None, ge=0, le=1500, description="district-heat emission factor override")
    ev_smart_charging: float | None = Field(None, ge=0, le=1, description="share of home EV charging moved from the evening into the night, where the grid area's load is lowest (0 = plug in and charge)")
    dh_emission_set: Literal["no_national_mix", "fi_chp_average", "se_network_median", "dk_br18_2025",
                             "zero_at_building"] | None = Field(
        None, description="named district-heat factor (twin/params/dh_defaults.csv); zero_at_building = SSB KOSTRA's 0")
    draws: int | None = Field(None, ge=0, le=10000, description="Latin-hypercube draws for ranges (0 = off)")

    @field_validator("emission_set")
    @classmethod
    def _emission_set(cls, v: str | None) -> str | None:
        from twin.energy import EMISSION_SETS

        if v is not None and v not in EMISSION_SETS:
            close = difflib.get_close_matches(v, EMISSION_SETS, n=1)
            msg = f"unknown emission_set '{v}'; " + (f"did you mean '{close[0]}'? " if close else "") \
                + f"allowed: {', '.join(EMISSION_SETS)}"
            raise ValueError(msg)
        return v

    @field_validator("mode_shares")
    @classmethod
    def _mode_shares(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None:  # the mobility model's own check, so both agree
            from twin.mobility import MobilityParams

            try:
                MobilityParams(mode_shares=dict(v))
            except InputError as exc:
                raise ValueError("; ".join(f"{p.what} ({p.fix})" if isinstance(p, Problem) else str(p)
                                           for p in exc.problems)) from None
        return v


class Where(_Model):
    """Which buildings a modification applies to (all conditions must hold)."""

    ids: list[str] | None = None
    use: list[UseWord] | None = None  # type: ignore[valid-type]
    heating: list[HeatingWord] | None = None  # type: ignore[valid-type]
    building_code: list[CodeWord] | None = None  # type: ignore[valid-type]
    year_min: int | None = None
    year_max: int | None = None
    area: str | None = Field(None, description="polygon file; buildings whose centroid is inside")
    share: float | None = Field(None, gt=0, le=1, description="take this share of the matches (largest floor area first)")


class FileRef(_Model):
    file: str
    layer: str | None = None


class NewQuarter(_Model):
    area: str = Field(description="polygon file of the open land")
    gross_floor_area_m2: float = Field(gt=0)
    use_mix: dict[str, float]
    floors: tuple[int, int] = (4, 7)
    building_code: CodeWord = "TEK17"  # type: ignore[valid-type]
    year: int = Field(2030, ge=1900, le=2100)
    heating: HeatingWord = "district_heating"  # type: ignore[valid-type]
    id_prefix: str = "nq"
    seed: int = 0

    @field_validator("use_mix")
    @classmethod
    def _uses(cls, v: dict[str, float]) -> dict[str, float]:
        for k in v:
            if k not in sch.USES:
                msg = f"unknown use '{k}'; allowed: {', '.join(sch.USES)}"
                raise ValueError(msg)
        if abs(sum(v.values()) - 1) > 1e-6:
            msg = f"shares sum to {sum(v.values()):.4g}, not 1"
            raise ValueError(msg)
        return v


class Retrofit(_Model):
    where: Where
    to: CodeWord | None = None  # type: ignore[valid-type]  # new building code (need of that code)
    condition: Literal["small_measure", "renovation", "renovation_and_small_measure"] | None = Field(
        None, description="NVE EBM building condition after the retrofit (space-heating need -7/-20/-25 %)")

    @model_validator(mode="after")
    def _one(self) -> "Retrofit":
        if self.to is None and self.condition is None:
            msg = "give `to` (a building code) or `condition` (small_measure, renovation, renovation_and_small_measure)"
            raise ValueError(msg)
        return self


class ChangeHeating(_Model):
    where: Where
    to: HeatingWord  # type: ignore[valid-type]


class ConnectHeating(_Model):
    within_m: float = Field(gt=0, le=5000)
    min_heat_kwh_yr: float | None = Field(None, ge=0)


class AddChargers(_Model):
    file: str | None = None
    layer: str | None = None
    target_coverage: float | None = Field(None, gt=0, le=1)
    area: str | None = Field(None, description="polygon file: place chargers for the residents inside it only")
    kw: float = Field(11.0, gt=0, le=1000)  # most cars accept 11 kW AC (twin/params/charging.csv)
    connectors: int = Field(2, ge=1, le=100)
    max_new: int = Field(200, ge=1, le=10000)

    @model_validator(mode="after")
    def _one(self) -> "AddChargers":
        if (self.file is None) == (self.target_coverage is None):
            msg = "give either `file` or `target_coverage`"
            raise ValueError(msg)
        return self


class RemoveChargers(_Model):
    ids: list[str]


#: Modification name → model of its value.
MODIFICATIONS: dict[str, type[BaseModel] | None] = {
    "demolish": Where,
    "add_buildings": FileRef,
    "new_quarter": NewQuarter,
    "retrofit": Retrofit,
    "change_heating": ChangeHeating,
    "connect_district_heating": ConnectHeating,
    "extend_heat_network": FileRef,
    "add_chargers": AddChargers,
    "remove_chargers": RemoveChargers,
    "add_basins": FileRef,
}


class Modification(_Model):
    """One modification: its kind and validated arguments."""

    kind: str
    args: Any


class Target(_Model):
    """A target reported as ``{value, threshold, met}``.

    Exactly one of ``max``, ``min``, ``reduction`` (with ``reference``) or
    ``not_above`` (a scenario whose value is the threshold) is given.
    """

    name: str
    indicator: str
    max: float | None = None
    min: float | None = None
    reduction: float | None = Field(None, gt=-10, lt=1)
    reference: float | str | None = Field(None, description="reference value, or a scenario file that gives it")
    reference_year: int | None = None
    not_above: str | None = Field(None, description="scenario file whose value is the ceiling (e.g. zero growth)")
    source: str | None = None

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, v: str) -> str:
        return _known_indicator(v)

    @model_validator(mode="after")
    def _kind(self) -> "Target":
        kinds = [self.max is not None, self.min is not None, self.reduction is not None,
                 self.not_above is not None]
        if sum(kinds) != 1:
            msg = "give exactly one of `max`, `min`, `reduction` (with `reference`) or `not_above`"
            raise ValueError(msg)
        if self.reduction is not None and self.reference is None:
            msg = "`reduction` needs a `reference` (a number or a scenario file)"
            raise ValueError(msg)
        return self


class TargetPath(_Model):
    """A reduction path for the pathway plot: year → share of the reference."""

    indicator: str = "co2_total_t_yr"
    reference: float | str
    points: dict[int, float]
    source: str | None = None

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, v: str) -> str:
        return _known_indicator(v)


def _known_indicator(name: str) -> str:
    from twin.indicators import INDICATORS

    if name not in INDICATORS:
        close = difflib.get_close_matches(name, INDICATORS, n=1)
        msg = f"unknown indicator '{name}'; " + (f"did you mean '{close[0]}'? " if close else "") \
            + f"allowed: {', '.join(INDICATORS)}"
        raise ValueError(msg)
    return name


class Phase(_Model):
    year: int = Field(ge=1900, le=2100)
    parameters: Parameters = Parameters()
    modifications: tuple[Modification, ...] = ()


class Scenario(_Model):
    """A validated scenario (after ``extends`` is resolved)."""

    name: str
    title: LocalText | None = None
    description: LocalText = ""
    district: str | None = None
    year: int = Field(2025, ge=1900, le=2100)
    parameters: Parameters = Parameters()
    modifications: tuple[Modification, ...] = ()
    targets: tuple[Target, ...] = ()
    phases: tuple[Phase, ...] = ()
    target_path: TargetPath | None = None
    path: str | None = None
    parents: tuple[str, ...] = Field((), description="the files this scenario extends, nearest first")

    @property
    def folder(self) -> Path:
        """Folder that relative file references are resolved against."""
        return Path(self.path).parent if self.path else Path.cwd()

    def resolve(self, ref: str) -> Path:
        """A file reference of this scenario as a path."""
        p = Path(ref)
        return p if p.is_absolute() else self.folder / p


_TOP_KEYS = ("name", "title", "description", "district", "year", "extends", "parameters",
             "modifications", "targets", "phases", "target_path")


def load_scenario(path: str | os.PathLike, *, _seen: tuple[str, ...] = ()) -> Scenario:
    """Read, validate and resolve a scenario file.

    Parameters
    ----------
    path : path-like
        The YAML file.

    Returns
    -------
    Scenario
        With ``extends`` merged in (the child's parameters override the
        parent's; modifications and targets are appended after the parent's).

    Raises
    ------
    InputError
        Every problem of the file (and of the files it extends or refers to)
        at once, one line each with the file, line and key: broken or hostile
        YAML, unknown keys, wrong types, unknown modification kinds, indicators,
        emission sets or mode-share keys, missing referenced files,
        ``extends`` cycles.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise input_error(where, "scenario file not found",
                          "check the path (the bundled scenarios live in twin/data/scenarios/)")
    raw, node = read_yaml(path, kind="scenario file", with_node=True)
    if not isinstance(raw, dict):
        raise input_error(where, "a scenario is a mapping of keys (name, year, parameters, …)",
                          "start the file with `name: my-scenario`")
    problems: list[Problem | str] = []
    for key in raw:
        if key not in _TOP_KEYS:
            problems.append(_key_problem(where, node, (key,), f"unknown key '{_short(key)}'", _TOP_KEYS))
    if "name" not in raw:
        problems.append(Problem(where, "missing key 'name'", "add `name: <scenario-name>`"))

    parent: Scenario | None = None
    ext = raw.get("extends")
    if ext is not None:
        if not isinstance(ext, str) or not ext.strip():
            problems.append(_key_error(where, node, ("extends",), "`extends` is not a file name",
                                       "give the path of the parent scenario relative to this file").problems[0])
        else:
            ppath = Path(ext)
            ppath = ppath if ppath.is_absolute() else path.parent / ppath
            if str(ppath.resolve()) in _seen + (str(path.resolve()),):
                problems.append(_key_error(where, node, ("extends",), f"`extends: {_short(ext)}` makes a cycle",
                                           "remove the cycle").problems[0])
            elif not ppath.exists():
                problems.append(_key_error(where, node, ("extends",), f"extends a file that does not exist: {ppath}",
                                           "give the path of the parent scenario relative to this file").problems[0])
            else:
                try:
                    parent = load_scenario(ppath, _seen=_seen + (str(path.resolve()),))
                except InputError as exc:
                    problems.extend(exc.problems)

    data: dict[str, Any] = {k: v for k, v in raw.items() if k in _TOP_KEYS and k != "extends"}
    mod_errors: list[_ModError] = []
    data["modifications"] = _parse_mods(raw.get("modifications") or [], ("modifications",), mod_errors)
    phases = []
    raw_phases = raw.get("phases") or []
    if not isinstance(raw_phases, list):
        mod_errors.append(_ModError(("phases",), "phases must be a list",
                                    "write each phase as `- {year: 2030, parameters: {...}}`"))
        raw_phases = []
    for i, ph in enumerate(raw_phases):
        if not isinstance(ph, dict):
            mod_errors.append(_ModError(("phases", i),
                                        "a phase is a mapping with `year`, `parameters`, `modifications`"))
            continue
        ph = dict(ph)
        ph["modifications"] = _parse_mods(ph.get("modifications") or [], ("phases", i, "modifications"),
                                          mod_errors)
        phases.append(ph)
    data["phases"] = phases
    for err in mod_errors:
        problems.extend(_key_error(where, node, err.loc, err.what, err.fix).problems)
    try:
        sc = Scenario.model_validate({**data, "path": str(path)})
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_key_problem(where, node, tuple(err["loc"]), _pydantic_msg(err), None))
    if problems:
        raise InputError(problems)

    if parent is not None:
        sc = Scenario(
            name=sc.name, title=sc.title if "title" in raw else parent.title,
            description=sc.description or parent.description,
            district=sc.district if "district" in raw else parent.district,
            year=sc.year if "year" in raw else parent.year,
            parameters=Parameters(**{**parent.parameters.model_dump(exclude_none=True),
                                     **sc.parameters.model_dump(exclude_none=True)}),
            modifications=_rebase(parent, parent.modifications) + sc.modifications,
            targets=_merge_targets(parent, sc),
            phases=sc.phases or parent.phases,
            target_path=sc.target_path or _rebase_path(parent),
            path=sc.path,
            parents=(str(Path(parent.path).resolve()),) + parent.parents if parent.path else parent.parents,
        )
    check_references(sc, node, _seen=_seen + (str(path.resolve()),))
    return sc


def _rebase(parent: Scenario, mods: tuple[Modification, ...]) -> tuple[Modification, ...]:
    """Make a parent's relative file references absolute, so they survive inheritance."""
    out = []
    for m in mods:
        args = m.args
        upd = {}
        for key in ("file", "area"):
            v = getattr(args, key, None)
            if isinstance(v, str):
                upd[key] = str(parent.resolve(v).resolve())
        where = getattr(args, "where", None)
        if isinstance(where, Where) and where.area:
            upd["where"] = where.model_copy(update={"area": str(parent.resolve(where.area).resolve())})
        out.append(Modification(kind=m.kind, args=args.model_copy(update=upd)) if upd else m)
    return tuple(out)


def _rebase_path(parent: Scenario) -> TargetPath | None:
    tp = parent.target_path
    if tp is not None and isinstance(tp.reference, str):
        return tp.model_copy(update={"reference": str(parent.resolve(tp.reference).resolve())})
    return tp


def _merge_targets(parent: Scenario, child: Scenario) -> tuple[Target, ...]:
    def rebase(t: Target, owner: Scenario) -> Target:
        upd: dict[str, Any] = {}
        if isinstance(t.reference, str):
            upd["reference"] = str(owner.resolve(t.reference).resolve())
        if t.not_above:
            upd["not_above"] = str(owner.resolve(t.not_above).resolve())
        return t.model_copy(update=upd) if upd else t

    names = {t.name for t in child.targets}
    return tuple(rebase(t, parent) for t in parent.targets if t.name not in names) + child.targets


class _ModError(Exception):
    def __init__(self, loc: tuple, what: str, fix: str = "") -> None:
        super().__init__(what)
        self.loc, self.what, self.fix = loc, what, fix


def _parse_mods(items: Any, loc: tuple, errors: list[_ModError]) -> tuple[Modification, ...]:
    """Parse a list of modifications; problems are appended to ``errors``."""
    if not isinstance(items, list):
        errors.append(_ModError(loc, "modifications must be a list", "write each modification as `- kind: {...}`"))
        return ()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1:
            errors.append(_ModError(loc + (i,), "each modification is a mapping with exactly one kind",
                                    f"allowed kinds: {', '.join(MODIFICATIONS)}"))
            continue
        kind, value = next(iter(item.items()))
        if kind not in MODIFICATIONS:
            close = difflib.get_close_matches(str(kind), MODIFICATIONS, n=1)
            errors.append(_ModError(loc + (i, kind), f"unknown modification '{_short(kind)}'",
                                    (f"did you mean '{close[0]}'? " if close else "")
                                    + f"allowed: {', '.join(MODIFICATIONS)}"))
            continue
        model = MODIFICATIONS[kind]
        try:
            args = model.model_validate(value if value is not None else {})
        except ValidationError as exc:
            for err in exc.errors():
                errors.append(_ModError(loc + (i, kind) + tuple(err["loc"]), _pydantic_msg(err), ""))
            continue
        out.append(Modification(kind=kind, args=args))
    return tuple(out)


def _pydantic_msg(err: dict) -> str:
    loc = ".".join(_short(x, 40) for x in err["loc"])
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "literal_error":
        msg = f"{msg}" if "Input should be" in msg else msg
    return f"'{loc}': {msg}" if loc else msg


def _node_at(node: Any, loc: tuple) -> Any:
    cur = node
    for part in loc:
        if cur is None:
            return None
        if isinstance(cur, yaml.MappingNode):
            nxt = None
            for k, v in cur.value:
                if str(k.value) == str(part):
                    nxt = v
                    break
            if nxt is None:
                return cur
            cur = nxt
        elif isinstance(cur, yaml.SequenceNode) and isinstance(part, int) and part < len(cur.value):
            cur = cur.value[part]
        else:
            return cur
    return cur


def _key_problem(where: str, node: Any, loc: tuple, what: str, allowed: tuple[str, ...] | None) -> Problem:
    n = _node_at(node, loc)
    line = f"line {n.start_mark.line + 1}" if n is not None else None
    key = ".".join(_short(x, 40) for x in loc)
    fix = ""
    if allowed:
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        fix = (f"did you mean '{close[0]}'? " if close else "") + f"allowed keys: {', '.join(allowed)}"
    elif "unknown key" in what:
        fix = "remove it or check its spelling (see README, 'Scenario files')"
    else:
        fix = "correct the value"
    return Problem(f"{where}" + (f": {line}" if line else ""), what, fix, column=key)


def _key_error(where: str, node: Any, loc: tuple, what: str, fix: str) -> InputError:
    p = _key_problem(where, node, loc, what, None)
    return InputError(Problem(p.where, what, fix or p.fix, column=p.column))


def references(sc: Scenario) -> list[tuple[str, tuple, bool]]:
    """Every file a scenario names: ``(reference, key path, is_a_scenario)``.

    Layer files and areas of modifications (and of phases), the archetype
    table, and the scenario files of targets and the target path.
    """
    out: list[tuple[str, tuple, bool]] = []

    def walk(mods: tuple[Modification, ...], loc: tuple) -> None:
        for i, m in enumerate(mods):
            a = m.args
            for key in ("file", "area"):
                v = getattr(a, key, None)
                if isinstance(v, str):
                    out.append((v, loc + (i, m.kind, key), False))
            w = a if isinstance(a, Where) else getattr(a, "where", None)
            if isinstance(w, Where) and w.area:
                out.append((w.area, loc + (i, m.kind, "area"), False))

    walk(sc.modifications, ("modifications",))
    for j, ph in enumerate(sc.phases):
        walk(ph.modifications, ("phases", j, "modifications"))
    for j, t in enumerate(sc.targets):
        if isinstance(t.reference, str):
            out.append((t.reference, ("targets", j, "reference"), True))
        if t.not_above:
            out.append((t.not_above, ("targets", j, "not_above"), True))
    if sc.target_path is not None and isinstance(sc.target_path.reference, str):
        out.append((sc.target_path.reference, ("target_path", "reference"), True))
    if sc.parameters.archetypes:
        out.append((sc.parameters.archetypes, ("parameters", "archetypes"), False))
    return out


def input_paths(sc: Scenario, *, _seen: frozenset[str] = frozenset()) -> set[Path]:
    """Every path a run of ``sc`` reads: its file, the files it extends, every
    file it names, its district folder, and the same for each reference scenario.

    ``twin run`` refuses to write into or over any of them.
    """
    paths: set[Path] = set()
    if sc.path:
        me = Path(sc.path).resolve()
        if str(me) in _seen:
            return paths
        _seen = _seen | {str(me)}
        paths.add(me)
    paths.update(Path(p).resolve() for p in sc.parents)
    if sc.district:
        paths.add(sc.resolve(sc.district).resolve())
    for ref, _, is_scenario in references(sc):
        p = sc.resolve(ref).resolve()
        paths.add(p)
        if is_scenario and str(p) not in _seen and p.is_file():
            ref_sc = load_scenario(p)
            paths.update(input_paths(ref_sc, _seen=_seen))
            if not ref_sc.district:
                from twin.district import default_district_path

                paths.add(default_district_path().resolve())
    return paths


def check_references(sc: Scenario, node: Any = None, *, _seen: tuple[str, ...] = ()) -> None:
    """Check every file a scenario names: it exists, and a referenced scenario is valid.

    Reference scenarios (a target's ``reference`` or ``not_above``, the
    target path's ``reference``) are loaded and validated too, so ``twin
    check`` reports their problems before a run evaluates anything.
    """
    problems: list[Problem | str] = []
    where = sc.path or "scenario"
    for ref, loc, is_scenario in references(sc):
        path = sc.resolve(ref)
        if not path.exists():
            p = _key_problem(where, node, loc, f"file not found: {path}", None) if node is not None \
                else Problem(where, f"file not found: {path}", "", column=".".join(map(str, loc)))
            problems.append(Problem(p.where, p.what, "give a path relative to the scenario file", column=p.column))
        elif is_scenario:
            if str(path.resolve()) in _seen or (sc.path and path.resolve() == Path(sc.path).resolve()):
                continue  # a scenario may be its own reference; cycles are not followed
            try:
                load_scenario(path, _seen=_seen)
            except InputError as exc:
                problems.extend(exc.problems)
    if sc.district:
        dpath = sc.resolve(sc.district)
        if not (dpath / "district.yaml").exists() and not dpath.name.endswith(".yaml"):
            problems.append(Problem(where, f"district folder not found: {dpath}",
                                    "give a folder with district.yaml, relative to the scenario file",
                                    column="district"))
    if problems:
        raise InputError(problems)


def baseline_scenario() -> Scenario:
    """The scenario used when none is given: today's district, default parameters."""
    return Scenario(name="baseline", description="The district as it is, with default parameters.")
