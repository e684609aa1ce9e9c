/* twin map runtime: small helpers used by the maps twin.maps writes.
 *
 * All text arriving here is HTML that Python already escaped (names,
 * addresses, ids from data go through html.escape before they are put in a
 * feature's properties or in a label list). This file only joins strings.
 *
 * Feature properties read here:
 *   s  fill (polygons, points) or line colour        c  class index per indicator (buildings)
 *   h  tooltip / popup header (escaped HTML)         v  popup values (escaped strings, null = row hidden)
 *   r  radius: metres (circle layers) or pixels (markers)
 *   d  1 = dashed line (planned network)
 *   n  1 = a circle in metres, not clickable (charger walking distance)
 *   st style options of this feature (override the layer's)
 */
(function () {
  "use strict";
  var T = (window.twin = window.twin || {});

  function styleOf(f, o) {
    var p = f.properties || {};
    var s = {};
    for (var k in o.style) s[k] = o.style[k];
    var col = null;
    if (p.s !== undefined && p.s !== null) col = p.s;
    else if (p.c && o.palettes) {
      var i = p.c[o.cur];
      col = i >= 0 ? o.palettes[o.cur][i] : o.nodata;
    }
    if (col !== null) {
      if (o.kind === "line") s.color = col;
      else s.fillColor = col;
    }
    if (p.d) s.dashArray = "6 5";
    if (p.st) for (var j in p.st) s[j] = p.st[j];
    return s;
  }

  function popupHtml(p, o) {
    var out = '<div class="twin-popup"><div class="twin-popup-h">' + (p.h || "") + "</div><table>";
    var v = p.v || [];
    for (var i = 0; i < o.labels.length; i++) {
      if (v[i] === null || v[i] === undefined) continue;
      out += "<tr><th>" + o.labels[i] + "</th><td>" + v[i] + "</td></tr>";
    }
    return out + "</table></div>";
  }

  /* A GeoJSON layer whose style, tooltip and popup come from feature properties. */
  T.geojson = function (data, o) {
    var opts = {
      style: function (f) { return styleOf(f, o); },
      interactive: o.interactive !== false,
    };
    if (o.kind === "point") {
      opts.pointToLayer = function (f, ll) {
        var st = styleOf(f, o), p = f.properties;
        if (p.n || o.metres) {
          st.radius = p.r;
          st.interactive = false;
          return L.circle(ll, st);
        }
        st.radius = p.r || o.radius || 6;
        st.interactive = o.interactive !== false;
        return L.circleMarker(ll, st);
      };
    }
    var layer = L.geoJSON(data, opts);
    layer._twin = o;
    if (o.interactive !== false) {
      if (o.tooltip) {
        layer.bindTooltip(function (l) { return l.feature.properties.h || ""; }, { sticky: true });
      }
      if (o.labels) {
        layer.bindPopup(function (l) { return popupHtml(l.feature.properties, o); }, { maxWidth: 420 });
      }
    }
    return layer;
  };

  function control(map, position, cls, html) {
    var C = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "twin-box " + cls);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    var c = new C({ position: position });
    c.addTo(map);
    return c;
  }

  /* A fixed panel (indicators, data note). */
  T.panel = function (map, position, cls, html) { return control(map, position, cls, html); };

  /* One scrollable legend box per map; each layer adds a section to it. */
  function legendBox(map) {
    if (!map._twinLegend) {
      map._twinLegend = control(map, "bottomright", "twin-legend", "").getContainer();
      map.on("resize", function () { fitLegend(map); });
    }
    return map._twinLegend;
  }

  /* Keep the legend box clear of the layer control above it. */
  function fitLegend(map) {
    var box = map._twinLegend;
    if (!box) return;
    var lc = map.getContainer().querySelector(".leaflet-top.leaflet-right");
    var used = lc ? lc.offsetHeight : 0;
    box.style.maxHeight = Math.max(90, map.getSize().y - used - 40) + "px";
  }

  function section(map, layer, html, first) {
    var box = legendBox(map);
    var sec = L.DomUtil.create("div", "twin-legend-sec");
    sec.innerHTML = html;
    if (first && box.firstChild) box.insertBefore(sec, box.firstChild);
    else box.appendChild(sec);
    function update() {
      sec.style.display = map.hasLayer(layer) ? "" : "none";
      var any = false;
      for (var i = 0; i < box.children.length; i++) if (box.children[i].style.display !== "none") any = true;
      box.style.display = any ? "" : "none";
    }
    map.on("layeradd layerremove", update);
    update();
    return sec;
  }

  /* A legend section shown only while `layer` is on the map. */
  T.legend = function (map, layer, html) { return section(map, layer, html, false); };

  /* Buildings legend with a selector of the colouring indicator (first in the box). */
  T.selectLegend = function (map, layer, title, names, legends) {
    var o = layer._twin;
    var html = '<div class="twin-legend-title">' + title + "</div>";
    if (names.length > 1) {
      html += '<div class="twin-select">';
      for (var i = 0; i < names.length; i++) {
        html += '<label><input type="radio" name="' + L.stamp(layer) + '_by" value="' + i + '"' +
          (i === o.cur ? " checked" : "") + "> " + names[i] + "</label>";
      }
      html += "</div>";
    }
    html += '<div class="twin-legend-rows"></div>';
    var sec = section(map, layer, html, true);
    var rows = sec.querySelector(".twin-legend-rows");
    rows.innerHTML = legends[o.cur];
    var inputs = sec.querySelectorAll("input");
    for (var j = 0; j < inputs.length; j++) {
      inputs[j].addEventListener("change", function (e) {
        o.cur = parseInt(e.target.value, 10);
        layer.setStyle(function (f) { return styleOf(f, o); });
        rows.innerHTML = legends[o.cur];
      });
    }
    return sec;
  };

  /* Zoom buttons with translated titles, metric scale bar, short attribution prefix. */
  T.controls = function (map, zoomIn, zoomOut) {
    L.control.zoom({ position: "topleft", zoomInTitle: zoomIn, zoomOutTitle: zoomOut }).addTo(map);
    L.control.scale({ position: "bottomleft", imperial: false, maxWidth: 160 }).addTo(map);
    if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
  };

  /* A banner on top of the map (synthetic data label). */
  T.banner = function (map, html) {
    var div = L.DomUtil.create("div", "twin-banner", map.getContainer());
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };

  /* Popups: pan clear of the panel (left) and legend (right); scroll when taller than the map. */
  function fitPopups(map) {
    var size = map.getSize();
    var left = map.getContainer().querySelector(".leaflet-top.leaflet-left");
    var padL = (left ? left.offsetWidth : 0) + 20;
    var padR = (map._twinLegend ? map._twinLegend.offsetWidth : 0) + 30;
    var popupW = 440;
    if (padL + padR + popupW > size.x) padR = Math.max(20, size.x - padL - popupW);
    map.eachLayer(function (l) {
      var p = l._twin && l.getPopup && l.getPopup();
      if (!p) return;
      p.options.autoPanPaddingTopLeft = L.point(padL, 20);
      p.options.autoPanPaddingBottomRight = L.point(padR, 20);
      p.options.maxHeight = Math.max(200, size.y - 100);
    });
  }

  /* Mark the map as drawn (used by tests and benchmarks). */
  T.ready = function (map) {
    window.twinMaps = window.twinMaps || [];
    window.twinMaps.push(map);
    fitLegend(map);
    fitPopups(map);
    map.on("resize", function () { fitPopups(map); });
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { window.twinReady = performance.now(); });
    });
  };
})();
