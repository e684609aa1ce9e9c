#!/usr/bin/env python3
"""Build the bundled real district "oslo-bjorvika" from the OpenStreetMap extract of central Oslo.

Bjørvika, Sørenga and Gamlebyen (lon 10.745-10.775, lat 59.900-59.915),
imported with twin's own OSM importer (``twin import-osm`` does the same):
every building footprint, its tags (use, storeys, Matrikkel building
number ``ref:bygningsnr``), the public charging stations and the walkable
street network. © OpenStreetMap contributors, ODbL 1.0.

There is no terrain model (flood indicators are ``not_evaluated``), no
district-heating network in OSM, and Statistics Norway's 250 m population
grid for Oslo is not at hand: residents are estimated from residential floor
area (``twin/params/mobility_persons.csv``). The script checks that estimate
against the published population density of the borough the area lies in
(Gamle Oslo) and refuses to write a district outside the plausible range.

Run from the repository root::

    python3 scripts/make_oslo_bjorvika.py                       # writes twin/data/districts/oslo-bjorvika
    python3 scripts/make_oslo_bjorvika.py --pbf PATH --out /tmp/oslo

The input is ``shared/data/oslo/oslo-center.osm.pbf`` (its README gives the
source and licence; sha256 dbba9adb...629cbe).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Bjørvika–Sørenga–Gamlebyen as given by the extract's README (lon/lat).
BBOX = (10.745, 59.900, 10.775, 59.915)
#: ETRS89 / UTM zone 32N, the CRS Oslo kommune publishes its map data in.
CRS = "EPSG:25832"
SHA256 = "dbba9adb5c11e85f961fea5ef3a7d96e0245d300484cb2c62c6bc7a0ac629cbe"
#: Gamle Oslo borough: 58,671 residents on 1 January 2020 on 7.5 km² (Oslo kommune,
#: Statistikkbanken, "Befolkningen etter bydel"; area from Oslo kommune's bydel facts),
#: 7,823 residents per km².
GAMLE_OSLO_RESIDENTS = 58_671
GAMLE_OSLO_AREA_KM2 = 7.5
#: A district of the borough is plausible between half and twice the borough's density: the
#: borough mixes dense blocks (Grønland, Tøyen) with parks, rail yards and harbour; the box holds
#: the Oslo S tracks, the harbour basin and office-only Bjørvika as well as the Sørenga blocks.
PLAUSIBLE = (0.5, 2.0)

DESCRIPTION = (
    "Real buildings of Bjørvika, Sørenga and Gamlebyen in central Oslo (OpenStreetMap, "
    "imported by twin import-osm; use from tags and inferred from points of interest and "
    "land use, storeys mostly tagged). No terrain model: flood indicators are not evaluated. "
    "No district-heating network in OSM. Residents are estimated from residential floor area "
    "(Statistics Norway's 250 m grid for Oslo was not at hand); the estimate was checked "
    "against Gamle Oslo's published population density."
)


def find_pbf() -> Path:
    """The extract: shared/ beside the repository (CI), or /work/shared (development machines)."""
    for cand in (ROOT.parent / "shared" / "data" / "oslo" / "oslo-center.osm.pbf",
                 Path("/work/shared/data/oslo/oslo-center.osm.pbf")):
        if cand.is_file():
            return cand
    msg = "oslo-center.osm.pbf not found; give --pbf"
    raise SystemExit(msg)


def density_check(district_dir: Path) -> dict[str, float]:
    """Residents estimated by twin and their density over the built land, against Gamle Oslo.

    The built land is the convex hull of the buildings: it follows the quays,
    so the harbour water of the box (no water polygons are imported) is not
    counted as land.
    """
    from twin.district import load_district
    from twin.pipeline import Session, evaluate
    from twin.scenario import baseline_scenario

    d = load_district(district_dir)
    r = evaluate(d, baseline_scenario(), session=Session())
    residents = float(r.buildings["residents"].sum())
    land_km2 = float(d.buildings.geometry.union_all().convex_hull.area) / 1e6
    density = residents / land_km2
    ref = GAMLE_OSLO_RESIDENTS / GAMLE_OSLO_AREA_KM2
    return {"buildings": len(d.buildings), "residents": residents, "land_km2": land_km2,
            "density_km2": density, "gamle_oslo_density_km2": ref, "ratio": density / ref}


def build(pbf: Path, out: Path) -> dict[str, float]:
    from twin.importers import write_imported
    from twin.importers.osm import import_osm

    digest = hashlib.sha256(pbf.read_bytes()).hexdigest()
    if digest != SHA256:
        print(f"warning: {pbf} has sha256 {digest}, not the documented {SHA256}", file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = import_osm(pbf, bbox=BBOX, crs=CRS)
    for w in caught:
        print(f"warning: {' '.join(str(w.message).split())[:300]}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=".oslo-bjorvika.", dir=out.parent))
    try:
        folder = write_imported(layers, tmp / "d", name="Oslo Bjørvika–Sørenga–Gamlebyen",
                                source_file=pbf, description=DESCRIPTION)
        check = density_check(folder)
        lo, hi = PLAUSIBLE
        if not lo <= check["ratio"] <= hi:
            msg = (f"implausible residents: {check['density_km2']:,.0f} per km² is {check['ratio']:.2f} x "
                   f"Gamle Oslo's {check['gamle_oslo_density_km2']:,.0f}; not written")
            raise SystemExit(msg)
        (folder / "README.md").write_text(readme(layers, check, pbf), encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            os.rename(out, old)
            os.rename(folder, out)
            shutil.rmtree(old)
        else:
            os.rename(folder, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check


def readme(layers: dict, check: dict[str, float], pbf: Path) -> str:
    b = layers["buildings"]
    share = {c: b[f"{c}_source"].value_counts(normalize=True).reindex(["tagged", "inferred", "default"]).fillna(0)
             for c in ("use", "floors", "year", "heating")}
    rows = "\n".join(f"| {c} | {100 * v['tagged']:.0f} % | {100 * v['inferred']:.0f} % | {100 * v['default']:.0f} % |"
                     for c, v in share.items())
    uses = b["use"].value_counts()
    use_rows = ", ".join(f"{u} {n}" for u, n in uses.items())
    return f"""# Oslo Bjørvika–Sørenga–Gamlebyen — bundled real district

**Real data.** Every building is a real building of central Oslo as mapped in OpenStreetMap.
Built by `scripts/make_oslo_bjorvika.py` with twin's OSM importer (the same code as
`twin import-osm {pbf.name} --bbox {','.join(str(v) for v in BBOX)} --crs {CRS}`).

- **Source:** `oslo-center.osm.pbf` (sha256 {SHA256[:12]}…, newest object 2025-06-16), an extract
  of central Oslo from the public repository `entur/geocoder` (test resource).
- **Licence:** © OpenStreetMap contributors, Open Database License (ODbL 1.0),
  https://www.openstreetmap.org/copyright. This district is a derived database and is offered
  under ODbL 1.0; every map of it carries the attribution.
- **Area:** lon {BBOX[0]}–{BBOX[2]}, lat {BBOX[1]}–{BBOX[3]} (buildings intersecting the box, whole).

## Contents
- `buildings.gpkg`: {len(b)} buildings ({use_rows}). Each physical building once: building ways
  that are the outer ring of a building multipolygon are merged into it, and footprints lying
  inside a larger one are counted as its parts.
- `charging_points.gpkg`: {len(layers['charging_points'])} charging stations (`amenity=charging_station`,
  most with a NOBIL id `ref:nobil` in OSM).
- `streets.gpkg`: {len(layers['streets'])} walkable ways.

Where each value comes from (`*_source` columns of `buildings.gpkg`; also in `district.yaml`,
`import_summary`):

| value | tagged | inferred | default |
|---|---|---|---|
{rows}

## Residents
Statistics Norway's 250 m population grid for Oslo was not at hand, so residents are estimated
from residential floor area (`twin/params/mobility_persons.csv`, SSB m² per person by dwelling
type): **{check['residents']:,.0f} residents** on {check['land_km2']:.2f} km² of built land
(the convex hull of the buildings), **{check['density_km2']:,.0f} per km²**. Gamle Oslo, the borough
the area lies in, had 58,671 residents on 7.5 km² on 1 January 2020 (Oslo kommune,
Statistikkbanken, "Befolkningen etter bydel"): 7,823 per km². The estimate is
{check['ratio']:.2f} × the borough's density; the build refuses anything outside 0.5–2 ×.

## What this district can and cannot show
- **Can:** energy and CO₂ per building from real footprints, storeys and uses; heating
  scenarios; EV charging demand, coverage by the real public chargers and new charger sites;
  walking distances on the real street network.
- **Cannot:** flooding (no terrain model: flood indicators are `not_evaluated`); the existing
  district-heating network (not in OSM: connections are a scenario assumption, `change_heating`);
  registered residents per building (estimated from floor area, see above); real construction
  years and heating systems (OSM rarely has them: see the table above).
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pbf", type=Path, default=None, help="oslo-center.osm.pbf (default: shared/data/oslo/)")
    ap.add_argument("--out", type=Path, default=ROOT / "twin" / "data" / "districts" / "oslo-bjorvika")
    args = ap.parse_args()
    check = build(args.pbf or find_pbf(), args.out)
    print(f"wrote {args.out}: {check['buildings']} buildings, {check['residents']:,.0f} residents, "
          f"{check['density_km2']:,.0f} per km² ({check['ratio']:.2f} x Gamle Oslo)")


if __name__ == "__main__":
    main()
