"""folium elements used by the maps: a map with inlined assets, a fast GeoJSON layer.

Leaflet (``twin/static``) and the small twin runtime (``runtime.js``,
``runtime.css``) are inlined into every page, so a map never loads code from a
CDN; online maps only add OpenStreetMap tiles.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

STATIC = Path(__file__).resolve().parent.parent / "static"
_HERE = Path(__file__).resolve().parent


def js_json(obj: Any) -> str:
    """JSON for embedding inside ``<script>``: ``<``, ``>``, ``&`` escaped.

    Those characters only occur inside JSON strings, where the ``\\u`` escapes
    are equivalent, so the text can never close the script element.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _safe_js(text)


def _safe_js(text: str) -> str:
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@lru_cache(maxsize=None)
def _leaflet_css() -> str:
    css = (STATIC / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = (STATIC / "images" / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


@lru_cache(maxsize=None)
def _asset_html() -> str:
    parts = [
        "<style>" + _leaflet_css() + "</style>",
        "<style>" + (_HERE / "runtime.css").read_text(encoding="utf-8") + "</style>",
        "<script>" + (STATIC / "leaflet.js").read_text(encoding="utf-8") + "</script>",
        "<script>" + (_HERE / "runtime.js").read_text(encoding="utf-8") + "</script>",
    ]
    return "\n".join(parts)


def add_assets(figure: Any, *, sync: bool = False) -> None:
    """Put the inlined Leaflet + twin runtime into a page's ``<head>`` (once)."""
    figure.header.add_child(Element(_asset_html()), name="twin_assets")
    if sync:
        figure.header.add_child(
            Element("<script>" + (STATIC / "L.Map.Sync.js").read_text(encoding="utf-8")
                    + "</script>"), name="twin_sync")


class TwinMap(folium.Map):
    """A :class:`folium.Map` that loads nothing from a CDN.

    folium's default links (Leaflet, jQuery, Bootstrap, Font Awesome from
    CDNs) are replaced by the inlined Leaflet and twin runtime.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs: Any) -> None:
        add_assets(self.get_root())
        super().render(**kwargs)


class FastGeoJson(folium.map.Layer):
    """A GeoJSON layer styled from feature properties by ``twin.geojson``.

    Unlike :class:`folium.GeoJson` with a ``style_function`` (which becomes a
    JavaScript ``switch`` over every feature id), style, tooltip and popup are
    read from each feature's properties; tooltip and popup are bound once on
    the layer group.

    Parameters
    ----------
    data_js : str
        GeoJSON FeatureCollection text (EPSG:4326) made safe for ``<script>``
        (:func:`twin.maps._geo.feature_collection_js`), properties as in
        ``runtime.js``.
    bounds : list or None
        ``[[south, west], [north, east]]`` of the data.
    options : dict
        Options for ``twin.geojson`` (kind, style, labels, palettes, ...).
    name : str
        Layer name shown in the layer control (plain text; escaped here).
    show : bool
        Whether the layer is on when the map opens.
    control : bool
        Whether the layer is listed in the layer control.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = twin.geojson({{ this.data_js }}, {{ this.options_js }});
        {% endmacro %}
    """)

    def __init__(self, data_js: str, bounds: list[list[float]] | None, options: dict, *,
                 name: str, show: bool = True, control: bool = True) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=control, show=show)
        self._name = "FastGeoJson"
        self.data_js = data_js
        self.bounds = bounds
        self.options_js = js_json(options)

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self.bounds or [[None, None], [None, None]]


class MapScript(MacroElement):
    """Raw JavaScript run after the map exists; ``{map}`` is replaced by its name.

    Only for code built in this package: data text must be passed through
    :func:`js_json`.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.code }}
        {% endmacro %}
    """)

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "MapScript"
        self._code = code

    def render(self, **kwargs: Any) -> None:
        self.code = self._code.replace("{map}", self._parent.get_name())
        super().render(**kwargs)
