"""Numba kernels of the flood screening (numpy in, numpy out; no file formats).

All kernels work on *padded* grids: the caller adds a one-cell NaN border so
that the eight neighbours of every interior cell are reached by constant
offsets of the flat index, without bounds checks. NaN marks nodata.

Algorithms
----------
* :func:`fill_core` -- the one fill kernel (in-memory and tiled fill): the
  filled surface as the morphological reconstruction by erosion of the DEM
  from its outlets (equal to Priority-Flood's, Barnes, Lehman & Mulla 2014,
  Computers & Geosciences 62:117-127), by the hybrid algorithm of Vincent
  (1993, IEEE Trans. Image Processing 2(2):176-201): forward and backward
  raster scans settle most cells, a priority queue (heap + stack) the rest,
  each cell lowered once there. It works on packed
  order-preserving integer keys of the float32 values (:func:`keys_padded`,
  :func:`filled_from_keys`) and optionally labels every cell with the outlet
  its flood came from (the watershed labels of the tiled fill, Barnes 2016).
* :func:`pit_hierarchy` -- the depression hierarchy of Barnes, Callaghan &
  Wickert (2020, Earth Surf. Dynam. 8:431-445): the depression cells are
  visited in elevation order (the pop order of a flood from all pits), take
  the label of the pit they drain to (lowest visited neighbour), and where two
  labels meet at a saddle a Kruskal-style union builds the merge tree with
  the volume of each sub-depression at its spill level.
* :func:`trace_rings` -- outlines of labelled regions (the polygons of GDAL's
  polygonize with 8-connectivity) by walking the cell edges once.
* :func:`route` -- fill-spill-merge (Barnes, Callaghan & Wickert 2021,
  Hydrol. Earth Syst. Sci. 25:2109-2131) without time: water entering a leaf
  fills it, spills over the saddle into the sibling (geolink), and when both
  are full the merged parent fills; a full depression passes its overflow
  to its target. Rain-water basins are stores on this graph: a basin on a
  flow path (:func:`basin_terminals`) or in a depression
  (:func:`basin_nodes`) keeps what reaches it up to its volume and passes
  the rest on.

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
