"""The map page: one fixed HTML skeleton and one JSON blob with every datum.

No template engine touches the page. The skeleton below is a constant
written here; the only things put into it are

- the inlined Leaflet / twin runtime (files of this package),
- the page title, HTML-escaped (:func:`html.escape`), and
- one ``<script type="application/json">`` block holding *all* data (layers,
  styles, popup values, legends, panels, strings, attribution), serialised by
  :func:`js_json` with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, so no
  text from data can close the script element or be read as markup.

``runtime.js`` parses the blob and builds layers, popups, tooltips, legends and
panels with DOM nodes and ``textContent`` (never ``innerHTML`` with data).
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent.parent / "static"
_HERE = Path(__file__).resolve().parent

#: The page skeleton, split at its three slots (title, assets, data); a page is
#: the concatenation of the fixed parts and the filled slots, so no text put in
#: a slot is ever searched or interpreted.
_SKELETON = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TWIN_TITLE@@</title>
@@TWIN_ASSETS@@
</head>
<body class="twin-body">
<div id="twin-root"></div>
<script type="application/json" id="twin-data">@@TWIN_DATA@@</script>
<script>twin.page(JSON.parse(document.getElementById("twin-data").textContent));</script>
</body>
</html>
"""


class RawJSON:
    """Already-serialised JSON text to splice into :func:`js_json` output.

    Only for text produced by this package's serialisers (e.g. GeoJSON from
    :func:`twin.maps._geo.feature_collection`), never for text from data.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _encode(obj: Any) -> str:
    if isinstance(obj, RawJSON):
        return obj.text
    if isinstance(obj, dict):
        return "{" + ",".join(_dumps(str(k)) + ":" + _encode(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in obj) + "]"
    return _dumps(obj)


def safe_js(text: str) -> str:
    """Escape ``<``, ``>``, ``&``, U+2028, U+2029 in JSON text as ``\\u`` escapes.

    These characters only occur inside JSON strings, where the escapes are
    equivalent, so the text can never close a script element.
    """
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def js_json(obj: Any) -> str:
    """JSON for embedding in ``<script>`` (see :func:`safe_js`); :class:`RawJSON` spliced."""
    return safe_js(_encode(obj))


@lru_cache(maxsize=None)
def _leaflet_css() -> str:
    css = (STATIC / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = (STATIC / "images" / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


@lru_cache(maxsize=None)
def asset_html() -> str:
    """Leaflet, leaflet.sync and the twin runtime, inlined (no CDN, works offline)."""
    return "\n".join([
        "<style>" + _leaflet_css() + "</style>",
        "<style>" + (_HERE / "runtime.css").read_text(encoding="utf-8") + "</style>",
        "<script>" + (STATIC / "leaflet.js").read_text(encoding="utf-8") + "</script>",
        "<script>" + (STATIC / "L.Map.Sync.js").read_text(encoding="utf-8") + "</script>",
        "<script>" + (_HERE / "runtime.js").read_text(encoding="utf-8") + "</script>",
    ])


def page_html(title: str, data: dict[str, Any]) -> str:
    """The whole HTML page: the fixed skeleton, the escaped title and the data blob."""
    head, rest = _SKELETON.split("@@TWIN_TITLE@@")
    mid, rest = rest.split("@@TWIN_ASSETS@@")
    body, tail = rest.split("@@TWIN_DATA@@")
    return "".join((head, html.escape(title), mid, asset_html(), body, js_json(data), tail))


@dataclass
class TwinMap:
    """One Leaflet map as data: layers, panels and options for ``runtime.js``.

    Built by :func:`twin.maps.new_map` and the per-layer ``add_*`` functions;
    written by :func:`twin.maps.write_map`.

    Attributes
    ----------
    lang, audience : str
        Language and audience.
    title : str
        Page title (plain text).
    tiles : dict or None
        Tile layer (``url``, ``attribution``, ``maxNativeZoom``); None offline.
    layers : list of dict
        Layer specs in drawing order (first is drawn at the bottom).
    panels : dict
        Panel specs by key (``indicators``, ``title``, ``note``, ``banner``, ...).
    bounds : list or None
        ``[[south, west], [north, east]]`` to fit on open.
    options : dict
        Other map options (``maxZoom``, ``strings``, ...).
    """

    lang: str = "en"
    audience: str = "planner"
    title: str = ""
    tiles: dict[str, Any] | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    panels: dict[str, Any] = field(default_factory=dict)
    bounds: list[list[float]] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def add_layer(self, layer: dict[str, Any]) -> dict[str, Any]:
        """Append a layer spec (drawn above the earlier ones) and return it."""
        self.layers.append(layer)
        return layer

    def spec(self) -> dict[str, Any]:
        """The JSON-ready description of this map for ``runtime.js``."""
        return {"lang": self.lang, "audience": self.audience, "tiles": self.tiles,
                "layers": self.layers, "panels": self.panels, "bounds": self.bounds,
                **self.options}
