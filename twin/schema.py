"""Declared schemas of the district layers: column, type, unit, allowed values.

Each layer of a district folder is checked against its schema on load
(:func:`twin.district.load_district`). A schema is data, not code: a tuple of
:class:`Column` rows, each with a type, a unit, an allowed range or vocabulary
and whether it is required.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

#: Building uses. Every use maps to an NVE EBM building category
#: (``twin/params/use_categories.csv``); ``unheated`` covers garages, sheds,
#: carports and roofs, which are kept on the map but need no energy.
USES: tuple[str, ...] = (
    "house",          # detached / semi-detached house
    "row_house",      # terraced / row house
    "apartment",      # apartment block
    "office",
    "retail",
    "school",
    "kindergarten",
    "university",
    "hospital",
    "nursing_home",
    "hotel",
    "sports",
    "culture",        # church, library, civic, community hall
    "industrial",
    "warehouse",
    "unheated",
)

RESIDENTIAL_USES: tuple[str, ...] = ("house", "row_house", "apartment", "nursing_home")

#: Heating systems (main space-heating and hot-water system of a building).
HEATING: tuple[str, ...] = (
    "district_heating",
    "hp_air_water",   # air-to-water heat pump
    "hp_ground",      # ground-source (brine-to-water) heat pump
    "hp_air_air",     # air-to-air heat pump with electric top-up
    "electric",       # direct electric (panel heaters, electric boiler)
    "oil",
    "gas",
    "bio",            # wood pellets / biomass boiler
    "none",           # unheated structure
)

FOSSIL_HEATING: tuple[str, ...] = ("oil", "gas")

#: Norwegian building-code periods as in NVE EBM, plus ``PASSIVE_HOUSE``: TEK17
#: with space heating at the NS 3700/3701 passive-house limit (it is not the
#: full zero-emission-building definition, which also counts materials and
#: on-site generation).
#: NVE EBM building conditions (renovation states) of standing buildings.
BUILDING_CONDITIONS: tuple[str, ...] = ("original_condition", "small_measure", "renovation",
                                        "renovation_and_small_measure")

BUILDING_CODES: tuple[str, ...] = (
    "PRE_TEK49", "TEK49", "TEK69", "TEK87", "TEK97", "TEK07", "TEK10", "TEK17", "PASSIVE_HOUSE",
)

CURRENT_YEAR: int = _dt.date.today().year


@dataclass(frozen=True)
class Column:
    """One column of a layer schema.

    Parameters
    ----------
    name : str
        Column name.
    dtype : {"str", "int", "float", "bool"}
        Value type.
    unit : str
        Unit (``""`` for none).
    required : bool
        Whether the column must be present.
    min, max : float | None
        Allowed range (inclusive).
    vocabulary : tuple of str | None
        Allowed words for a ``str`` column.
    unique : bool
        Whether values must be unique (identifiers).
    nullable : bool
        Whether missing values are allowed in a present column.
    description : str
        What the column means.
    """

    name: str
    dtype: str
    unit: str = ""
    required: bool = False
    min: float | None = None
    max: float | None = None
    vocabulary: tuple[str, ...] | None = None
    unique: bool = False
    nullable: bool = True
    description: str = ""


@dataclass(frozen=True)
class LayerSchema:
    """Schema of one vector layer.

    Parameters
    ----------
    name : str
        Layer key in ``district.yaml``.
    geometry : tuple of str
        Allowed geometry types.
    columns : tuple of Column
        Declared columns.
    required : bool
        Whether every district must have this layer.
    one_of : tuple of tuple of str
        Groups of columns of which at least one must be present
        (e.g. ``floors`` or ``height_m``).
    """

    name: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column | None:
        """The declared column called ``name``, or None."""
        for c in self.columns:
            if c.name == name:
                return c
        return None


BUILDINGS = LayerSchema(
    name="buildings",
    geometry=("Polygon", "MultiPolygon"),
    required=True,
    one_of=(("floors", "height_m", "floor_area_m2"),),
    columns=(
        Column("building_id", "str", required=True, unique=True, nullable=False,
               description="unique building identifier"),
        Column("use", "str", required=True, vocabulary=USES, nullable=False,
               description="main use of the building"),
        Column("floors", "int", "storeys", min=1, max=120,
               description="number of storeys above ground"),
        Column("height_m", "float", "m", min=1.0, max=500.0,
               description="building height"),
        Column("year", "int", "year", required=True, min=1600, max=CURRENT_YEAR,
               nullable=False, description="construction year (scenarios may add planned buildings up to 2100)"),
        Column("heating", "str", required=True, vocabulary=HEATING, nullable=False,
               description="main heating system"),
        Column("dwellings", "int", "dwellings", min=0, max=5000),
        Column("floor_area_m2", "float", "m2", min=1.0, max=1_000_000.0,
               description="heated gross floor area (BRA)"),
        Column("residents", "float", "persons", min=0.0, max=20_000.0,
               description="registered residents, when known"),
        Column("jobs", "float", "jobs", min=0.0, max=50_000.0,
               description="workplaces in the building, when known"),
        Column("building_code", "str", vocabulary=BUILDING_CODES,
               description="energy standard; overrides the period derived from `year`"),
        Column("building_condition", "str", vocabulary=BUILDING_CONDITIONS,
               description="NVE EBM renovation state; missing: EBM's expected shares at the building's age"),
        Column("dh_connected", "bool", description="connected to district heating"),
        Column("name", "str"),
        Column("address", "str"),
    ),
)

HEAT_NETWORK = LayerSchema(
    name="heat_network",
    geometry=("LineString", "MultiLineString"),
    columns=(
        Column("network_id", "str", required=True, nullable=False,
               description="network the segment belongs to"),
        Column("co2_g_kwh", "float", "g CO2/kWh delivered", min=0.0, max=1500.0),
        Column("supply_temp_c", "float", "degC", min=10.0, max=200.0),
        Column("planned", "bool", description="planned extension (not yet built)"),
    ),
)

HEAT_PLANTS = LayerSchema(
    name="heat_plants",
    geometry=("Point",),
    columns=(
        Column("plant_id", "str", required=True, unique=True, nullable=False),
        Column("network_id", "str"),
        Column("name", "str"),
        Column("capacity_mw", "float", "MW", min=0.0, max=5000.0),
        Column("source", "str", description="heat source, e.g. seawater heat pump"),
    ),
)

CHARGING_POINTS = LayerSchema(
    name="charging_points",
    geometry=("Point",),
    columns=(
        Column("charger_id", "str", required=True, unique=True, nullable=False),
        Column("kw", "float", "kW", required=True, min=1.0, max=1000.0, nullable=False),
        Column("connectors", "int", "connectors", required=True, min=1, max=500, nullable=False),
        Column("public", "bool", required=True, nullable=False),
        Column("name", "str"),
        Column("operator", "str"),
    ),
)

BASINS = LayerSchema(
    name="basins",
    geometry=("Polygon", "MultiPolygon"),
    one_of=(("volume_m3", "depth_m"),),
    columns=(
        Column("basin_id", "str", required=True, unique=True, nullable=False),
        Column("volume_m3", "float", "m3", min=0.0, max=10_000_000.0),
        Column("depth_m", "float", "m", min=0.0, max=50.0),
        Column("name", "str"),
    ),
)

LOW_LYING = LayerSchema(
    name="low_lying",
    geometry=("Polygon", "MultiPolygon"),
    columns=(
        Column("area_id", "str"),
        Column("max_depth_m", "float", "m", min=0.0, max=100.0),
    ),
)

STREETS = LayerSchema(
    name="streets",
    geometry=("LineString", "MultiLineString"),
    columns=(
        Column("street_id", "str"),
        Column("name", "str"),
        Column("highway", "str"),
    ),
)

GRID_AREAS = LayerSchema(
    name="grid_areas",
    geometry=("Polygon", "MultiPolygon"),
    columns=(
        Column("area_id", "str", required=True, unique=True, nullable=False,
               description="grid area, e.g. a secondary substation's supply area"),
        Column("capacity_kw", "float", "kW", required=True, min=0.0, max=10_000_000.0, nullable=False,
               description="power the area's grid can deliver (transformer or feeder rating)"),
        Column("name", "str"),
        Column("synthetic", "bool", description="invented for a demo district"),
    ),
)

#: Vector layer schemas by manifest key.
LAYERS: dict[str, LayerSchema] = {
    s.name: s for s in (BUILDINGS, HEAT_NETWORK, HEAT_PLANTS, CHARGING_POINTS,
                        BASINS, LOW_LYING, STREETS, GRID_AREAS)
}
