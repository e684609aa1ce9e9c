"""Command line: ``twin run | check | flood | import-osm | import-vector``.

Exit codes: 0 success; 2 bad input (one line per problem on stderr, no
traceback); 1 internal error.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from twin._errors import InputError, input_error

LANGS = ("en", "nb", "sv", "da")
AUDIENCES = ("planner", "citizen")


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn InputError into exit 2 with one line per problem; anything else into exit 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                         line: Any = None) -> None:
            click.echo(f"warning: {' '.join(str(message).split())}", err=True)

        old = warnings.showwarning
        warnings.showwarning = show_warning
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for line in exc.lines:
                click.echo(f"error: {line}", err=True)
            sys.exit(2)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # an internal error: say so plainly
            if os.environ.get("TWIN_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:500]} "
                       "(please report it; set TWIN_DEBUG=1 for a traceback)", err=True)
            sys.exit(1)
        finally:
            warnings.showwarning = old

    return wrapper


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


def _check_out(out: Path, inputs: list[Path]) -> None:
    out_r = out.resolve()
    for p in inputs:
        p_r = p.resolve()
        folder = p_r if p_r.is_dir() else p_r.parent
        if out_r == folder or folder in out_r.parents and (folder / "district.yaml").exists():
            raise input_error(f"--out {out}", f"the output folder is inside the input folder {folder}",
                              "choose another --out (inputs are never overwritten)")


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
@click.option("--no-map", is_flag=True, help="Skip writing maps (tables only).")
@_handle_errors
def run(scenarios: tuple[Path, ...], district_dir: Path | None, out: Path, offline: bool, lang: str,
        audience: str, png: bool, no_map: bool) -> None:
    """Evaluate scenarios and write maps and indicator tables.

    With no SCENARIOS, every scenario in scenarios/ is evaluated on the
    bundled default district. For each scenario it writes
    OUT/<name>/map.html, buildings.gpkg and indicators.json (and pathway
    tables when the scenario has phases); with two or more scenarios also
    OUT/compare.csv and OUT/compare.html.
    """
    from tqdm import tqdm

    from twin.district import load_district, resolve_district_path
    from twin.pipeline import Session, evaluate
    from twin.scenario import baseline_scenario, load_scenario
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
    session = Session()
    if district_dir is not None:
        district_dir = resolve_district_path(district_dir)
    district = load_district(district_dir) if district_dir else None
    _check_out(out, ([district_dir] if district_dir else []) + [Path(f) for f in files])
    results = []
    bar = tqdm(loaded, desc="scenarios", unit="scenario", disable=None, file=sys.stderr,
               bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:20}| {elapsed} {postfix}")
    for sc in bar:
        session.progress = lambda stage, name=sc.name: bar.set_postfix_str(f"{name}: {stage}")
        r = evaluate(district, sc, session=session)
        bar.set_postfix_str(f"{sc.name}: writing maps and tables")
        folder = write_result(r, out / _safe_name(sc.name), lang=lang, audience=audience, offline=offline,
                              png=png, no_map=no_map, scenario=sc, session=session,
                              district=district)
        results.append(r)
        ind = r.indicators
        click.echo(f"{sc.name}: {ind['buildings']} buildings, {ind['residents']:,.0f} residents, "
                   f"{ind['energy_mwh_yr']:,.0f} MWh/yr, {ind['co2_total_t_yr']:,.0f} t CO2/yr, "
                   f"{ind['flooded_buildings']} flooded buildings → {folder}")
        for tname, t in ind.get("targets", {}).items():
            click.echo(f"  target {tname}: {'met' if t['met'] else 'missed'} "
                       f"(value {t['value']:.4g}, threshold {t['threshold']:.4g})")
    if len(results) >= 2:
        paths = write_comparison(results, out, lang=lang, audience=audience, offline=offline)
        click.echo(f"comparison → {', '.join(str(p) for p in paths)}")


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".-")
    return keep or "scenario"


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@_handle_errors
def check(path: Path) -> None:
    """Validate a district folder or a scenario file; list every problem.

    Exit 0 when clean, 2 when there are problems (one line each).
    """
    from twin.district import load_district
    from twin.scenario import load_scenario

    if path.suffix.lower() in (".yaml", ".yml") and path.name not in ("district.yaml", "district.yml"):
        sc = load_scenario(path)
        click.echo(f"{path}: scenario '{sc.name}' is valid ({len(sc.modifications)} modifications, "
                   f"{len(sc.targets)} targets, {len(sc.phases)} phases)")
        return
    d = load_district(path)
    click.echo(f"{path}: district '{d.name}' is valid: {len(d.buildings)} buildings, "
               f"{len(d.heat_network)} heat-network segments, {len(d.charging_points)} charging points, "
               f"{len(d.basins)} basins, DEM {'%dx%d' % d.dem.shape[::-1] if d.dem is not None else 'none'}"
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
    With --chunks the DEM is screened tile by tile on dask: filled.tif,
    depressions.gpkg (area, depth, volume, spill level) and, with
    --buildings, buildings.gpkg (every depression full); no rain routing yet.
    """
    from twin.flood import FloodParams
    from twin.flood_io import run_flood, run_flood_tiled

    _check_out(out, [dem] + [p for p in (basins, buildings) if p])
    if chunks is not None:
        if rain_mm is not None or basins:
            raise input_error("--chunks", "the tiled path has no rain routing yet (depressions and buildings only)",
                              "leave out --chunks for the rain event, or leave out --rain-mm/--basins")
        summary = run_flood_tiled(dem, out, chunks=chunks, scheduler=scheduler, buildings_path=buildings)
    else:
        summary = run_flood(dem, out, rain_mm=rain_mm, basins_path=basins, buildings_path=buildings,
                            params=FloodParams(uniform_runoff=not runoff_coefficients))
    for k, v in summary.items():
        click.echo(f"{k}: {v}")


@main.command("import-osm")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="New district folder.")
@click.option("--bbox", default=None, help="minlon,minlat,maxlon,maxlat to cut the input to.")
@click.option("--dem", type=click.Path(path_type=Path), default=None, help="A GeoTIFF DEM to attach.")
@click.option("--name", default=None, help="District name (default: the file name).")
@click.option("--crs", default=None, help="Metric CRS (default: the UTM zone of the data).")
@_handle_errors
def import_osm_cmd(file: Path, out: Path, bbox: str | None, dem: Path | None, name: str | None,
                   crs: str | None) -> None:
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
    layers = import_osm(file, bbox=box, crs=crs)  # type: ignore[arg-type]
    folder = write_imported(layers, out, name=name or file.name.split(".")[0], dem_path=dem, source_file=file)
    click.echo(f"wrote {folder}: {len(layers['buildings'])} buildings, "
               f"{len(layers.get('charging_points', []))} charging points")


@main.command("import-vector")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), required=True,
              help="YAML column mapping (see twin/importers/mappings/).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="New district folder.")
@click.option("--dem", type=click.Path(path_type=Path), default=None, help="A GeoTIFF DEM to attach.")
@click.option("--name", default=None, help="District name (default: the file name).")
@_handle_errors
def import_vector_cmd(file: Path, mapping: Path, out: Path, dem: Path | None, name: str | None) -> None:
    """Import a municipal building register (any format GDAL reads) with a column mapping."""
    from twin.importers import write_imported
    from twin.importers.vector import import_vector

    layers = import_vector(file, mapping=mapping)
    folder = write_imported(layers, out, name=name or file.stem, dem_path=dem, source_file=file)
    click.echo(f"wrote {folder}: {len(layers['buildings'])} buildings")


if __name__ == "__main__":  # pragma: no cover
    main()
