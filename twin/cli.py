"""Command line: ``twin run | check | flood | import-osm | import-vector``.

Exit codes: 0 success; 2 bad input (one line per problem on stderr, no
traceback); 1 internal error; 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from twin._errors import InputError, Problem, input_error, os_input_error, printable

LANGS = ("en", "nb", "sv", "da")
AUDIENCES = ("planner", "citizen")


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Exit codes for a command: InputError, a fixable OS error (disk full, read-only, name too
    long, ...), MemoryError → 2 with one line per problem; Ctrl-C → 130 and SIGTERM → 143 after
    every ``finally`` removed its temporary files; anything else → 1 (internal error)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                         line: Any = None) -> None:
            click.echo(f"warning: {printable(message)}", err=True)

        old = warnings.showwarning
        warnings.showwarning = show_warning
        old_term = _install_sigterm()
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            _print_problems(exc)
            sys.exit(2)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Terminated:
            click.echo("terminated (SIGTERM); no partial outputs were left", err=True)
            sys.exit(143)
        except KeyboardInterrupt:
            click.echo("interrupted; no partial outputs were left", err=True)
            sys.exit(130)
        except MemoryError:
            click.echo("error: out of memory (fix: evaluate a smaller district or DEM — clip it with "
                       "`gdalwarp -te ...` — or use a machine with more memory)", err=True)
            sys.exit(2)
        except RecursionError:
            click.echo("error: an input is nested too deeply to process (fix: flatten the structure of "
                       "the file named in the command)", err=True)
            sys.exit(2)
        except OSError as exc:
            err = os_input_error(exc)
            if err is None:
                if os.environ.get("TWIN_DEBUG"):
                    raise
                click.echo(f"internal error: {type(exc).__name__}: {printable(exc)[:500]} "
                           "(please report it; set TWIN_DEBUG=1 for a traceback)", err=True)
                sys.exit(1)
            _print_problems(err)
            sys.exit(2)
        except Exception as exc:  # an internal error: say so plainly
            if os.environ.get("TWIN_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {printable(exc)[:500]} "
                       "(please report it; set TWIN_DEBUG=1 for a traceback)", err=True)
            sys.exit(1)
        finally:
            warnings.showwarning = old
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)

    return wrapper


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every ``finally`` removes its temporary files."""


def _install_sigterm() -> Any:
    def handler(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. called from a notebook worker)
        return None


def _print_problems(exc: InputError) -> None:
    for line in exc.lines:
        click.echo(f"error: {line}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="twin")
def main() -> None:
    """twin — district planning with a digital twin.

    Evaluate district scenarios (energy, district heating, EV charging,
    cloudburst flooding, climate targets) and render interactive maps.
    Run `twin COMMAND --help` for each command's options.
    """


def _find_scenarios() -> list[Path]:
    from twin.district import BUNDLED_SCENARIOS

    for folder in (BUNDLED_SCENARIOS,):
        if folder.is_dir():
            files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
            if files:
                # baseline first: the comparison is made against the first scenario
                return sorted(files, key=lambda p: (p.stem != "baseline", p.name))
    return []


def _inside(a: Path, b: Path) -> bool:
    """Whether resolved path ``a`` equals ``b`` or lies inside it."""
    return a == b or b in a.parents


def _check_out(out: Path, inputs: list[Path] | set[Path], writes: list[Path] | None = None) -> None:
    """Refuse outputs that would write into or over an input (issue 10).

    ``out`` must not lie inside (or be) an input folder; no written path
    (``writes``: the scenario folders and comparison files) may equal, contain
    or lie inside an input.
    """
    if out.exists() and not out.is_dir():
        raise input_error(f"--out {out}", "is a file, not a folder", "choose a folder for --out")
    for parent in out.resolve().parents:
        if parent.exists() and not parent.is_dir():
            raise input_error(f"--out {out}", f"lies under the file {parent}", "choose --out inside a folder")
    out_r = out.resolve()
    problems: list[Problem] = []
    for p in sorted({Path(p).resolve() for p in inputs}):
        folder = p if p.is_dir() else p.parent
        if p.is_dir() and _inside(out_r, p) or (not p.is_dir() and out_r == p):
            problems.append(Problem(f"--out {out}", f"the output folder is inside the input {p}",
                                    "choose another --out (inputs are never written)"))
            continue
        if out_r == folder and (folder / "district.yaml").exists():
            problems.append(Problem(f"--out {out}", f"the output folder is the district folder {folder}",
                                    "choose another --out (inputs are never written)"))
            continue
        for w in writes or []:
            w_r = w.resolve()
            if _inside(w_r, p) or _inside(p, w_r):
                problems.append(Problem(str(w), f"would write over the input {p}",
                                        "rename the scenario or choose another --out (inputs are never written)"))
    if problems:
        raise InputError(problems)


#: Files ``twin run`` writes at the top of --out.
COMPARISON_FILES = ("compare.csv", "compare.html")
#: Longest scenario folder name (bytes); file systems allow 255.
MAX_FOLDER_NAME_BYTES = 120


def _scenario_folders(loaded: list[Any], out: Path) -> list[Path]:
    """The output folder of each scenario; names that collide after sanitising are an input error."""
    problems: list[Problem] = []
    seen: dict[str, str] = {c.casefold(): c for c in COMPARISON_FILES}
    folders = []
    for sc in loaded:
        safe = _safe_name(sc.name)
        where = sc.path or "scenario"
        if len(safe.encode()) > MAX_FOLDER_NAME_BYTES:
            problems.append(Problem(where, f"the scenario name is {len(safe.encode())} bytes long, too long "
                                    "for a folder name", f"shorten `name` to at most {MAX_FOLDER_NAME_BYTES} "
                                    "characters", column="name"))
        key = safe.casefold()
        if key in seen:
            other = seen[key]
            problems.append(Problem(where, f"scenario '{printable(sc.name)[:80]}' would be written to "
                                    f"{out / safe}, like {printable(other)[:80]!r}",
                                    "give every scenario a name that differs in letters or digits", column="name"))
        seen[key] = sc.name
        folders.append(out / safe)
    if problems:
        raise InputError(problems)
    return folders


@main.command()
@click.argument("scenarios", nargs=-1, type=click.Path(path_type=Path))
@click.option("--district", "district_dir", type=click.Path(path_type=Path), default=None,
              help="District folder (with district.yaml) or a bundled district's name (fornebu). Default: the scenario's own, else the bundled Fornebu.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Output folder; one sub-folder per scenario.")
@click.option("--offline", is_flag=True, help="Write self-contained maps (Leaflet inlined, no tiles, no CDN).")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True, help="Map language.")
@click.option("--audience", type=click.Choice(AUDIENCES), default="planner", show_default=True,
              help="planner: every layer and number; citizen: a few plain-language layers, large text.")
@click.option("--png", is_flag=True, help="Also save a PNG of each map (needs Chromium).")
@click.option("--pdf", is_flag=True,
              help="Also print each map to a one-sheet A4 landscape map.pdf (needs Chromium).")
@click.option("--no-map", is_flag=True, help="Skip writing maps (tables only).")
@click.option("--draws", type=click.IntRange(0, 10000), default=None,
              help="Latin-hypercube draws of the uncertain parameters for ranges and target probabilities "
                   "(default 200; 0 turns them off).")
@_handle_errors
def run(scenarios: tuple[Path, ...], district_dir: Path | None, out: Path, offline: bool, lang: str,
        audience: str, png: bool, pdf: bool, no_map: bool, draws: int | None) -> None:
    """Evaluate scenarios and write maps and indicator tables.

    With no SCENARIOS, every scenario in scenarios/ is evaluated on the
    bundled default district. For each scenario it writes
    OUT/<name>/map.html, buildings.gpkg and indicators.json (and pathway
    tables when the scenario has phases); with two or more scenarios also
    OUT/compare.csv and OUT/compare.html.
    """
    from tqdm import tqdm

    from twin._io import atomic_folder, run_lock
    from twin.district import default_district_path, load_district, resolve_district_path
    from twin.pipeline import Session, evaluate
    from twin.scenario import baseline_scenario, input_paths, load_scenario
    from twin.writers import write_comparison, write_result

    # The bundled scenarios name files of the bundled district; on another district
    # without named scenarios, evaluate it as it is with default parameters.
    files = list(scenarios) or ([] if district_dir else _find_scenarios())
    problems: list[Any] = []
    loaded = []
    for f in files:
        try:
            loaded.append(load_scenario(f))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    if not loaded:
        loaded = [baseline_scenario()]
    names = [s.name for s in loaded]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise input_error(", ".join(str(f) for f in files), f"two scenarios are named {', '.join(sorted(dups))}",
                          "give every scenario its own `name`")
    folders = _scenario_folders(loaded, out)
    if district_dir is not None:
        district_dir = resolve_district_path(district_dir)
    # every path the run reads: district folders (given, the scenarios' own, the default),
    # scenario files, the files they extend and name, reference scenarios and their districts
    reads: set[Path] = {Path(f).resolve() for f in files}
    for sc in loaded:
        reads |= input_paths(sc)
        if district_dir is None and not sc.district:
            reads.add(default_district_path().resolve())
    if district_dir is not None:
        reads.add(district_dir.resolve())
    writes = folders + ([out / n for n in COMPARISON_FILES] if len(loaded) >= 2 else [])
    _check_out(out, reads, writes)
    from twin._flood_kernels import _warm

    _warm.start()  # first run after install: compile the flood kernels on the second core meanwhile
    district = load_district(district_dir) if district_dir else None
    session = Session(draws=draws)
    from twin.importers import data_note

    results = []
    notes: set[str] = set()
    with run_lock(out):
        bar = tqdm(loaded, desc="scenarios", unit="scenario", disable=None, file=sys.stderr,
                   bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:20}| {elapsed} {postfix}")
        for sc, target in zip(bar, folders):
            label = printable(sc.name)
            session.progress = lambda stage, name=label: bar.set_postfix_str(f"{name}: {stage}")
            r = evaluate(district, sc, session=session)
            bar.set_postfix_str(f"{label}: writing maps and tables")
            with atomic_folder(target) as tmp:
                write_result(r, tmp, lang=lang, audience=audience, offline=offline, png=png, pdf=pdf,
                             no_map=no_map, baseline=results[0] if results else None,
                             scenario=sc, session=session, district=district)
            results.append(r)
            ind = r.indicators
            flooded = ind["flooded_buildings"]
            flooded = "flooding not evaluated (no terrain model)" if flooded is None or flooded != flooded \
                else f"{flooded} flooded buildings"
            click.echo(f"{label}: {ind['buildings']} buildings, {ind['residents']:,.0f} residents, "
                       f"{ind['energy_mwh_yr']:,.0f} MWh/yr, {ind['co2_total_t_yr']:,.0f} t CO2/yr, "
                       f"{flooded} → {target}")
            if ind.get("floors_default_buildings"):
                click.echo(f"  {ind['floors_default_buildings']} buildings without floors, height or floor area: "
                           f"1 floor assumed (floor_area_source = default in buildings.gpkg)")
            note = data_note(session.district_for(sc, district))
            if note and note not in notes:
                notes.add(note)
                click.echo(f"  {printable(note)}")
            for tname, t in ind.get("targets", {}).items():
                p = t.get("probability_met")
                chance = f", met in {p:.0%} of draws" if p is not None else ""
                click.echo(f"  target {printable(tname)}: {t['status'].replace('_', ' ')} "
                           f"(value {t['value']:.4g}, threshold {t['threshold']:.4g}{chance})")
        if len(results) >= 2:
            paths = write_comparison(results, out, lang=lang, audience=audience, offline=offline)
            click.echo(f"comparison → {', '.join(str(p) for p in paths)}")


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".-")
    return keep or "scenario"


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--district", "district_dir", type=click.Path(path_type=Path), default=None,
              help="District to check scenarios against (default: the scenario's own, else the bundled Fornebu).")
@_handle_errors
def check(paths: tuple[Path, ...], district_dir: Path | None) -> None:
    """Validate district folders, scenario files or folders of scenarios; list every problem.

    A scenario is checked as `twin run` would use it: its keys and values,
    the files it names and, applied to its district, every layer file it
    adds. Exit 0 when clean, 2 when there are problems (one line each).
    """
    problems: list[Any] = []
    districts: dict[Path, Any] = {}
    for path in paths:
        for item in _check_items(path):
            try:
                click.echo(_check_one(item, district_dir, districts))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


def _is_scenario_file(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml") and path.name not in ("district.yaml", "district.yml")


def _check_items(path: Path) -> list[Path]:
    """A district folder, a scenario file, or every scenario file in a folder of scenarios."""
    if path.is_dir() and not (path / "district.yaml").exists():
        items = sorted(p for p in path.iterdir() if p.is_file() and _is_scenario_file(p))
        if not items:
            raise input_error(str(path), "holds neither district.yaml nor scenario files (*.yaml)",
                              "give a district folder, a scenario file or a folder of scenarios")
        return items
    return [path]


def _check_one(path: Path, district_dir: Path | None, districts: dict[Path, Any]) -> str:
    from twin.district import default_district_path, load_district, resolve_district_path

    is_file = os.path.lexists(path) and not path.is_dir()  # a file, or a device such as /dev/zero
    if _is_scenario_file(path) or is_file and path.name not in ("district.yaml", "district.yml"):
        from twin.modify import apply_scenario
        from twin.scenario import load_scenario

        sc = load_scenario(path)
        dpath = resolve_district_path(district_dir) if district_dir is not None else \
            sc.resolve(sc.district) if sc.district else default_district_path()
        key = Path(dpath).resolve()
        if key not in districts:
            districts[key] = load_district(dpath)
        d = districts[key]
        problems: list[Any] = []
        for mods in (sc.modifications, *(ph.modifications for ph in sc.phases)):
            try:  # reads and validates every layer file the scenario adds, as a run does
                apply_scenario(d, sc, mods)
            except InputError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
        if problems:
            raise InputError(problems)
        return (f"{path}: scenario '{printable(sc.name)}' is valid ({len(sc.modifications)} modifications, "
                f"{len(sc.targets)} targets, {len(sc.phases)} phases) on district '{printable(d.name)}'")
    path = resolve_district_path(path)  # a folder, or a bundled district's name (oslo-bjorvika)
    d = load_district(path)
    return (f"{path}: district '{printable(d.name)}' is valid: {len(d.buildings)} buildings, "
            f"{len(d.heat_network)} heat-network segments, {len(d.charging_points)} charging points, "
            f"{len(d.basins)} basins, DEM {'%dx%d' % d.dem.shape[::-1] if d.dem is not None else 'none'}, "
            f"{len(d.manifest.get('places') or [])} place labels"
            f"{' (synthetic data)' if d.synthetic else ''}")


@main.command()
@click.argument("dem", type=click.Path(path_type=Path))
@click.option("--rain-mm", type=click.FloatRange(min=0), default=None, help="Uniform rain event in mm.")
@click.option("--basins", type=click.Path(path_type=Path), default=None, help="Rain-water basin polygons.")
@click.option("--buildings", type=click.Path(path_type=Path), default=None,
              help="Building polygons to get flood_depth_m and in_low_lying_area.")
@click.option("--runoff-coefficients", is_flag=True,
              help="Use runoff coefficients by surface (roofs, paved, green; Svenskt Vatten P110) instead of "
                   "the screening default, where all rain runs off (Balstrøm & Crawford 2018).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--chunks", type=click.IntRange(min=16), default=None,
              help="Tile side in cells: read and fill the DEM tile by tile on dask (Barnes 2016), for DEMs "
                   "above the in-memory limit; same filled surface as without tiles.")
@click.option("--scheduler", default="threads", show_default=True,
              help="With --chunks: threads, processes, or the address of a dask.distributed scheduler "
                   "(tcp://host:8786).")
@_handle_errors
def flood(dem: Path, rain_mm: float | None, basins: Path | None, buildings: Path | None,
          runoff_coefficients: bool, out: Path, chunks: int | None, scheduler: str) -> None:
    """Cloudburst screening of a DEM (GeoTIFF in metres).

    Writes filled.tif and depressions.gpkg; with --rain-mm also
    water_depth.tif; with --buildings also buildings.gpkg with flood columns.
    With --chunks the DEM is screened tile by tile on dask, with the same
    results (the rain and the basins routed by fill-spill-merge across tiles).
    """
    from twin.flood import FloodParams
    from twin.flood_io import run_flood, run_flood_tiled

    _check_out(out, [dem] + [p for p in (basins, buildings) if p],
               [out / n for n in ("filled.tif", "depressions.gpkg", "water_depth.tif", "buildings.gpkg",
                                  "map.html")])
    if chunks is not None:
        summary = run_flood_tiled(dem, out, chunks=chunks, scheduler=scheduler, buildings_path=buildings,
                                  rain_mm=rain_mm, basins_path=basins,
                                  params=FloodParams(uniform_runoff=not runoff_coefficients))
    else:
        summary = run_flood(dem, out, rain_mm=rain_mm, basins_path=basins, buildings_path=buildings,
                            params=FloodParams(uniform_runoff=not runoff_coefficients))
    for line in flood_summary(summary, out):
        click.echo(line)


def flood_summary(summary: dict[str, Any], out: Path) -> list[str]:
    """Readable lines of a ``twin flood`` summary (whole numbers with thousands separators)."""
    bal = summary.get("balance") or {}

    def m3(key: str) -> str:
        v = bal.get(key)
        return "–" if v is None else f"{v:,.0f} m³"

    files = ", ".join(Path(p).name for p in summary["files"].values())
    lines = [f"wrote {files} to {out}",
             f"low-lying areas (depressions): {summary['depressions']:,}"]
    if summary.get("fill_volume_m3") is not None:
        lines.append(f"volume of the low-lying areas when full: {summary['fill_volume_m3']:,.0f} m³")
    if summary.get("tiles") is not None:
        lines.append(f"tiles: {summary['tiles']}; spill graph: {summary['graph_nodes']:,} nodes, "
                     f"{summary['graph_edges']:,} edges; seconds: "
                     + ", ".join(f"{k} {v:,.1f}" for k, v in summary["seconds"].items()))
    if bal.get("rain_m3"):
        lines.append(f"rain {m3('rain_m3')}: {m3('stored_m3')} stays in low-lying areas, "
                     f"{m3('basin_m3')} in basins, {m3('outflow_m3')} flows out, "
                     f"{m3('loss_m3')} infiltrates or evaporates")
    if "buildings" in summary["files"]:
        lines.append(f"flooded buildings: {summary['flooded_buildings']:,}")
    if summary.get("nodata_cells"):
        lines.append(f"DEM cells without data: {summary['nodata_cells']:,}")
    return lines


@main.command("import-osm")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="New district folder.")
@click.option("--bbox", default=None, help="minlon,minlat,maxlon,maxlat to cut the input to.")
@click.option("--dem", type=click.Path(path_type=Path), default=None, help="A GeoTIFF DEM to attach.")
@click.option("--name", default=None, help="District name (default: the file name).")
@click.option("--crs", default=None, help="Metric CRS (default: the UTM zone of the data).")
@click.option("--population", type=click.Path(path_type=Path), default=None,
              help="Population grid (SSB/SCB/Statistics Finland/DST cells) to allocate residents from.")
@_handle_errors
def import_osm_cmd(file: Path, out: Path, bbox: str | None, dem: Path | None, name: str | None,
                   crs: str | None, population: Path | None) -> None:
    """Import OpenStreetMap data (.osm.pbf, .osm XML, Overpass JSON or GeoJSON) as a district folder."""
    from twin.importers import write_imported
    from twin.importers.osm import import_osm

    box = None
    if bbox:
        try:
            box = tuple(float(v) for v in bbox.split(","))
            if len(box) != 4 or box[0] >= box[2] or box[1] >= box[3]:
                raise ValueError
        except ValueError:
            raise input_error("--bbox", f"'{bbox}' is not minlon,minlat,maxlon,maxlat",
                              "write e.g. --bbox 10.59,59.88,10.64,59.91") from None
    grid = _population_grid(population)
    layers = import_osm(file, bbox=box, crs=crs, population=grid)  # type: ignore[arg-type]
    folder = write_imported(layers, out, name=name or file.name.split(".")[0], dem_path=dem, source_file=file)
    _echo_import(folder, layers)


def _population_grid(path: Path | None) -> Any:
    if path is None:
        return None
    from twin.population import read_population_grid

    return read_population_grid(path)


def _echo_import(folder: Path, layers: dict[str, Any]) -> None:
    from twin.district import read_manifest
    from twin.importers import format_summary

    click.echo(f"wrote {folder}: {len(layers['buildings'])} buildings, "
               f"{len(layers.get('charging_points', []))} charging points; from data / inferred / defaults:")
    click.echo(format_summary(read_manifest(folder).get("import_summary", {})))


@main.command("import-vector")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), required=True,
              help="YAML column mapping (see twin/importers/mappings/).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="New district folder.")
@click.option("--dem", type=click.Path(path_type=Path), default=None, help="A GeoTIFF DEM to attach.")
@click.option("--name", default=None, help="District name (default: the file name).")
@click.option("--population", type=click.Path(path_type=Path), default=None,
              help="Population grid (SSB/SCB/Statistics Finland/DST cells) to allocate residents from.")
@click.option("--layer", type=click.Choice(["buildings", "charging_points"]), default="buildings",
              show_default=True, help="charging_points: a charger register (NOBIL, OSM) → a .gpkg layer file.")
@_handle_errors
def import_vector_cmd(file: Path, mapping: Path, out: Path, dem: Path | None, name: str | None,
                      population: Path | None, layer: str) -> None:
    """Import a municipal building register or a charger register (any format GDAL reads) with a column mapping."""
    from twin.importers import write_imported, write_layer
    from twin.importers.vector import import_vector

    if layer == "charging_points":
        extra = [o for o, v in (("--dem", dem), ("--population", population), ("--name", name)) if v is not None]
        if extra:
            raise input_error(" ".join(extra), "applies to building registers, not to --layer charging_points",
                              "leave it out; a charger register is written as one layer file")
        points = import_vector(file, mapping=mapping, layer=layer)["charging_points"]
        path = write_layer(points, out, layer=layer, source_file=file)
        click.echo(f"wrote {path}: {len(points)} charging points "
                   f"(use it as `layers: charging_points:` of a district or `add_chargers: file:` of a scenario)")
        return
    layers = import_vector(file, mapping=mapping, population=_population_grid(population))
    folder = write_imported(layers, out, name=name or file.stem, dem_path=dem, source_file=file)
    _echo_import(folder, layers)


if __name__ == "__main__":  # pragma: no cover
    main()
