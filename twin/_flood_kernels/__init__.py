"""Numba kernels of the flood screening (numpy in, numpy out; no file formats).

All kernels work on *padded* grids: the caller adds a one-cell NaN border so
that the eight neighbours of every interior cell are reached by constant
offsets of the flat index, without bounds checks. NaN marks nodata.

Modules (each module's docstring gives its algorithm and sources)
-----------------------------------------------------------------
* ``_fill`` -- :func:`fill_core`, the one fill kernel of the in-memory and
  tiled paths (hybrid grayscale reconstruction, Vincent 1993).
* ``_hierarchy`` -- :func:`pit_hierarchy`, the depression merge tree
  (Barnes, Callaghan & Wickert 2020).
* ``_routing`` -- :func:`route`, fill-spill-merge of rain and basins on the
  depression graph (Barnes, Callaghan & Wickert 2021), and the flow steps.
* ``_outlines`` -- :func:`trace_rings` and polygon burning.
* ``_tiles`` -- the tile-edge spill graph of the tiled fill (Barnes 2016).

The kernels live in one module per step (``_fill``, ``_hierarchy``,
``_routing``, ``_outlines``, ``_tiles``, with shared helpers in ``_common``);
this package re-exports them so callers write ``_k.fill_core``.
"""

from twin._flood_kernels._common import (  # noqa: F401
    _offsets,
    _heap_push,
    _heap_pop,
    _find,
    _grow,
    pad_nan,
)
from twin._flood_kernels._fill import (  # noqa: F401
    _sk,
    keys_padded,
    fill_core,
    filled_from_keys,
)
from twin._flood_kernels._hierarchy import (  # noqa: F401
    label_components,
    pit_hierarchy,
    _merge_tree,
    _node_id,
    _tree_arrays,
    _top_nodes,
)
from twin._flood_kernels._routing import (  # noqa: F401
    flow_terminals,
    d8_steepest,
    resolve_flats,
    follow_terminals,
    flat_search,
    basin_terminals,
    pour_points,
    basin_nodes,
    _intercept,
    route,
    water_levels,
    nearest_marked_ancestor,
    kahn_order,
    reported_downstream,
    inflow_sums,
    water_depth_grid,
    building_exposure,
)
from twin._flood_kernels._outlines import (  # noqa: F401
    rasterize_polygons,
    _fg,
    trace_rings,
)
from twin._flood_kernels._tiles import (  # noqa: F401
    label_edges,
    spill_levels,
    raise_to_spill,
    pour_candidates,
    basin_codes,
)
