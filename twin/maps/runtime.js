/* twin map runtime: builds a map page from the JSON blob twin.maps writes.
 *
 * Every text arriving here is plain text from the JSON blob (names, addresses,
 * scenario names, descriptions, attributions, translated strings). It reaches
 * the page only through textContent / DOM nodes (el() below), or esc() where a
 * Leaflet API takes HTML (layer names, tile attribution). Never innerHTML with data.
 *
 * Feature properties read here:
 *   s  fill (polygons, points) or line colour        c  class index per indicator (buildings)
 *   h  tooltip / popup header                        v  popup values (null = row hidden)
 *   f  popup footnote                                d  1 = dashed line (planned network)
 *   r  marker radius (px)
 */
(function () {
  "use strict";
  var T = (window.twin = window.twin || {});

  /* An element with a class and text content, appended to parent. */
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  /* Text escaped for the few Leaflet APIs that take HTML strings. */
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  /* Small screens (phones, small windows): panels start collapsed. */
  function small() { return window.innerWidth <= 700 || window.innerHeight <= 560; }
  /* Medium screens: the layer box starts as an icon. */
  function medium() { return window.innerWidth < 1280; }

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
    return s;
  }

  function popupNode(p, o) {
    var d = el("div", "twin-popup");
    el("div", "twin-popup-h", p.h || "", d);
    var tb = el("table", null, null, d);
    var v = p.v || [];
    var labels = o.labels || [];
    for (var i = 0; i < labels.length; i++) {
      if (v[i] === null || v[i] === undefined) continue;
      var tr = el("tr", null, null, tb);
      el("th", null, labels[i], tr);
      el("td", null, v[i], tr);
    }
    if (p.f) el("div", "twin-popup-note", p.f, d);
    return d;
  }

  /* A GeoJSON layer whose style, tooltip and popup come from feature properties. */
  function geojson(data, o) {
    var opts = {
      style: function (f) { return styleOf(f, o); },
      interactive: o.interactive !== false,
    };
    if (o.kind === "point") {
      opts.pointToLayer = function (f, ll) {
        var st = styleOf(f, o);
        st.radius = f.properties.r || o.radius || 6;
        st.interactive = o.interactive !== false;
        return L.circleMarker(ll, st);
      };
    }
    var layer = L.geoJSON(data, opts);
    layer._twin = o;
    if (o.interactive !== false) {
      if (o.tooltip) {
        layer.bindTooltip(function (l) { return el("span", null, l.feature.properties.h || ""); },
          { sticky: true });
      }
      if (o.labels) {
        layer.bindPopup(function (l) { return popupNode(l.feature.properties, o); }, { maxWidth: 420 });
      }
    }
    return layer;
  }

  /* Permanent text labels at points (place and street names), shown from o.minZoom.
     Labels that would overlap a label drawn before them are hidden (declutter):
     layers with a lower o.priority go first (places before streets), and within a
     layer the features' order (the longest streets first). */
  function labels(o) {
    var g = L.layerGroup();
    var tips = [];
    o.data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var tip = L.tooltip({ permanent: true, direction: "center", className: o.cls || "twin-label",
        interactive: false }).setLatLng([c[1], c[0]]).setContent(el("span", null, f.properties.h));
      tips.push(tip);
      g.addLayer(tip);
    });
    var outer = L.layerGroup();
    var map = null;
    function upd() {
      if (!map || !map.hasLayer(outer)) return;
      if (map.getZoom() >= (o.minZoom || 0)) { if (!outer.hasLayer(g)) outer.addLayer(g); }
      else if (outer.hasLayer(g)) outer.removeLayer(g);
      declutter(map);
    }
    outer.on("add", function () {
      map = outer._map;
      (map._twinLabels = map._twinLabels || []).push(entry);
      map.on("zoomend", upd); map.on("moveend", upd); upd();
    });
    outer.on("remove", function () {
      if (map) {
        map.off("zoomend", upd); map.off("moveend", upd);
        map._twinLabels = (map._twinLabels || []).filter(function (e) { return e !== entry; });
        outer.removeLayer(g);
        declutter(map);
      }
    });
    var entry = { priority: o.priority || 0, tips: tips, group: g, outer: outer };
    outer._twin = o;
    return outer;
  }

  /* Hide every label whose box meets the box of a label kept before it (2 px apart). */
  function declutter(map) {
    var kept = [];
    var groups = (map._twinLabels || []).slice().sort(function (a, b) { return a.priority - b.priority; });
    groups.forEach(function (e) {
      if (!e.outer.hasLayer(e.group)) return;
      e.tips.forEach(function (tip) {
        var node = tip.getElement();
        if (!node) return;
        node.style.visibility = "";
        var r = node.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return;
        var hit = kept.some(function (k) {
          return r.left < k.right + 2 && r.right + 2 > k.left && r.top < k.bottom + 2 && r.bottom + 2 > k.top;
        });
        if (hit) node.style.visibility = "hidden"; else kept.push(r);
      });
    });
  }

  /* The Leaflet layer of one layer spec. */
  function buildLayer(o) {
    if (o.kind === "labels") return labels(o);
    if (o.kind === "image") {
      var img = L.imageOverlay(o.url, o.bounds, { opacity: o.opacity, interactive: false });
      img._twin = o;
      return img;
    }
    if (o.casing) {
      var casing = geojson(o.data, { kind: o.kind, interactive: false, style: o.casing });
      var g = L.layerGroup([casing, geojson(o.data, o)]);
      g._twin = o;
      return g;
    }
    return geojson(o.data, o);
  }

  /* A Leaflet control holding a DOM node. */
  function control(map, position, cls, node) {
    var C = L.Control.extend({
      onAdd: function () {
        var div = el("div", "twin-box " + cls);
        if (node) div.appendChild(node);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    var c = new C({ position: position });
    c.addTo(map);
    return c.getContainer();
  }

  /* A <details> block: summary text, open unless on a small screen. */
  function details(title, open, parent) {
    var d = el("details", null, null, parent);
    el("summary", null, title, d);
    d.open = !!open;
    return d;
  }

  function swatch(row, parent) {
    var line = el("div", "twin-legend-row", null, parent);
    var sw = el("span", "twin-swatch" + (row.k ? " " + row.k : ""), null, line);
    if (row.c) sw.style.background = row.c;
    el("span", null, row.t, line);
    return line;
  }

  function legendRows(rows, parent) {
    parent.textContent = "";
    for (var i = 0; i < rows.length; i++) swatch(rows[i], parent);
  }

  /* The legend box (bottom right); one section per layer, shown while the layer is on. */
  function legendBox(map, spec) {
    if (!map._twinLegend) {
      var d = details(spec.strings.legend, !small());
      d.className = "twin-legend-details";
      map._twinLegend = control(map, "bottomright", "twin-legend", d);
      map._twinLegendBody = d;
    }
    return map._twinLegendBody;
  }

  function legendSection(map, spec, layer, o) {
    var box = legendBox(map, spec);
    var sec = el("div", "twin-legend-sec", null, o.key === "buildings" ? null : box);
    if (o.key === "buildings") box.insertBefore(sec, box.children[1] || null);
    var title = el("div", "twin-legend-title", o.legend.title, sec);
    var rows = el("div", "twin-legend-rows");
    if (o.legend.select) {
      /* Colour the layer by choice i (legend rows and title follow). */
      layer._twinColour = function (i) {
        o.cur = i;
        layer.setStyle(function (f) { return styleOf(f, o); });
        legendRows(o.legend.select[o.cur], rows);
        if (o.legend.titles) title.textContent = o.legend.titles[o.cur];
        var inputs = sec.querySelectorAll("input");
        for (var j = 0; j < inputs.length; j++) inputs[j].checked = j === i;
      };
      if (o.legend.names.length > 1 && o.legend.selector !== false) {
        var sel = el("div", "twin-select", null, sec);
        o.legend.names.forEach(function (name, i) {
          var lab = el("label", null, null, sel);
          var inp = el("input", null, null, lab);
          inp.type = "radio";
          inp.name = L.stamp(layer) + "_by";
          inp.value = String(i);
          inp.checked = i === o.cur;
          lab.appendChild(document.createTextNode(" " + name));
          inp.addEventListener("change", function () { layer._twinColour(i); });
        });
      }
      legendRows(o.legend.select[o.cur], rows);
    } else {
      legendRows(o.legend.rows, rows);
    }
    sec.appendChild(rows);
    function update() {
      sec.style.display = map.hasLayer(layer) ? "" : "none";
      var any = false;
      var secs = box.querySelectorAll(".twin-legend-sec");
      for (var i = 0; i < secs.length; i++) if (secs[i].style.display !== "none") any = true;
      map._twinLegend.style.display = any ? "" : "none";
    }
    map.on("layeradd layerremove", update);
    update();
  }

  function table(rows, parent) {
    var tb = el("table", null, null, parent);
    rows.forEach(function (r) {
      var tr = el("tr", null, null, tb);
      el("th", null, r[0], tr);
      for (var i = 1; i < r.length; i++) el("td", null, r[i], tr);
    });
    return tb;
  }

  /* The indicator panel: title, description, indicators, targets (collapsible). */
  function indicatorPanel(map, p, citizen) {
    var d = details(p.title, !small());
    if (p.description) el("div", "twin-desc", p.description, d);
    table(p.rows, d);
    if (p.hint) el("div", "twin-hint", p.hint, d);
    if (p.targets) {
      el("div", "twin-sec", p.targets.title, d);
      var tb = el("table", "twin-targets", null, d);
      if (p.targets.head) {
        var hr = el("tr", null, null, tb);
        p.targets.head.forEach(function (h, i) { el(i ? "td" : "th", "twin-head", h, hr); });
      }
      p.targets.rows.forEach(function (r) {
        var tr = el("tr", null, null, tb);
        var th = el("th", null, r.label, tr);
        if (!citizen && r.name !== r.label) th.title = r.name;
        r.cells.forEach(function (c) { el("td", null, c, tr); });
        el("td", "twin-" + r.status, r.mark, tr);
      });
    }
    return control(map, "topleft", "twin-panel", d);
  }

  /* The data note: sources folded; the other lines folded too on small maps. */
  function notePanel(map, n, compact) {
    var box = el("div");
    var d = details(n.title, false, box);
    el("div", "twin-sources", n.sources, d);
    n.lines.forEach(function (line) { el("div", null, line, compact ? d : box); });
    return control(map, "bottomleft", "twin-note", box);
  }

  /* Keep popups clear of the panels; scroll when taller than the map. */
  function fitPopups(map) {
    var size = map.getSize();
    var left = map.getContainer().querySelector(".leaflet-top.leaflet-left");
    var padL = (left ? left.offsetWidth : 0) + 20;
    var padR = (map._twinLegend ? map._twinLegend.offsetWidth : 0) + 30;
    if (padL + padR + 300 > size.x) { padL = 10; padR = 10; }
    map.eachLayer(function (l) {
      var p = l._twin && l.getPopup && l.getPopup();
      if (!p) return;
      p.options.autoPanPaddingTopLeft = L.point(padL, 20);
      p.options.autoPanPaddingBottomRight = L.point(padR, 20);
      p.options.maxHeight = Math.max(160, size.y - 80);
      p.options.maxWidth = Math.max(200, Math.min(420, size.x - 40));
    });
  }

  /* Panels never cover more than about a third of the map: cap their size. */
  function capPanels(map) {
    var size = map.getSize();
    var c = map.getContainer();
    var w = Math.max(180, Math.floor(size.x * 0.34));
    [".twin-panel", ".twin-legend", ".twin-note", ".leaflet-control-layers"].forEach(function (q) {
      var e = c.querySelector(q);
      if (!e) return;
      e.style.maxWidth = w + "px";
      var hmax = q === ".twin-panel" ? 0.5 : q === ".twin-note" ? 0.25 : 0.3;
      e.style.maxHeight = Math.max(60, Math.floor(size.y * hmax)) + "px";
      e.style.overflowY = "auto";
    });
  }

  /* Fit the district on open, clear of the panels when there is room. */
  function fit(map, spec) {
    var size = map.getSize();
    if (!spec.bounds || size.x < 10 || size.y < 10) {
      if (spec.bounds) map.fitBounds(spec.bounds, { animate: false });
      return;
    }
    var c = map.getContainer();
    var tl = c.querySelector(".leaflet-top.leaflet-left");
    var padL = (tl ? tl.offsetWidth : 0) + 10;
    var padR = (map._twinLegend && map._twinLegend.style.display !== "none" ?
      map._twinLegend.offsetWidth : 0) + 10;
    if (padL + padR > size.x * 0.55) { padL = 10; padR = 10; }
    map.fitBounds(spec.bounds, {
      paddingTopLeft: [padL, 10], paddingBottomRight: [padR, 10], maxZoom: 18, animate: false,
    });
    if (!isFinite(map.getZoom()) || !isFinite(map.getCenter().lat)) {
      map.fitBounds(spec.bounds, { animate: false });
    }
  }

  /* One map in `container` from its spec. */
  function buildMap(container, spec) {
    var s = spec.strings;
    if (spec.audience === "citizen") container.classList.add("twin-citizen");
    var map = L.map(container, { preferCanvas: true, zoomControl: false, maxZoom: spec.maxZoom });
    L.control.zoom({ position: "topleft", zoomInTitle: s.zoom_in, zoomOutTitle: s.zoom_out }).addTo(map);
    L.control.scale({ position: "bottomleft", imperial: false, maxWidth: 160 }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    if (spec.tiles) {
      L.tileLayer(spec.tiles.url, {
        attribution: esc(spec.tiles.attribution), maxZoom: spec.maxZoom,
        maxNativeZoom: spec.tiles.maxNativeZoom,
      }).addTo(map);
    }
    var P = spec.panels || {};
    if (P.indicators) indicatorPanel(map, P.indicators, spec.audience === "citizen");
    if (P.title) control(map, "topleft", "twin-title", el("b", null, P.title));
    var overlays = {};
    var built = [];
    spec.layers.forEach(function (o) {
      var layer = buildLayer(o);
      if (o.show) layer.addTo(map);
      if (o.legend) legendSection(map, spec, layer, o);
      overlays[esc(o.name)] = layer;
      built.push({ o: o, layer: layer });
    });
    if (P.story) storyBox(map, P.story, built);
    var lc = L.control.layers(null, overlays, { position: "topright", collapsed: medium() || !!P.title }).addTo(map);
    var toggle = lc.getContainer().querySelector(".leaflet-control-layers-toggle");
    if (toggle) { toggle.title = s.layers; toggle.setAttribute("aria-label", s.layers); }
    if (P.note) notePanel(map, P.note, !!P.title || small());
    capPanels(map);
    fit(map, spec);
    fitPopups(map);
    map.on("resize", function () { capPanels(map); fitPopups(map); });
    map._twinSpec = spec;
    window.twinMaps = window.twinMaps || [];
    window.twinMaps.push(map);
    return map;
  }

  /* The story mode (citizen maps): steps switch layers and the buildings' colouring. */
  function storyBox(map, story, built) {
    var box = el("div", "twin-story", null, map.getContainer());
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    var head = el("div", "twin-story-head", story.title, box);
    var text = el("div", "twin-story-text", null, box);
    var nav = el("div", "twin-story-nav", null, box);
    var prev = el("button", null, story.prev, nav);
    var count = el("span", "twin-story-count", null, nav);
    var next = el("button", null, story.next, nav);
    var close = el("button", "twin-story-close", story.close, nav);
    var cur = -1;
    function apply(i) {
      cur = Math.max(0, Math.min(story.steps.length - 1, i));
      var st = story.steps[cur];
      head.textContent = st.title;
      text.textContent = st.text;
      count.textContent = (cur + 1) + " / " + story.steps.length;
      built.forEach(function (b) {
        var on = st.layers.indexOf(b.o.key) >= 0;
        if (on && !map.hasLayer(b.layer)) map.addLayer(b.layer);
        if (!on && map.hasLayer(b.layer)) map.removeLayer(b.layer);
        if (b.o.key === "buildings" && b.o.choices && b.layer._twinColour) {
          var k = b.o.choices.indexOf(st.theme);
          if (k >= 0) b.layer._twinColour(k);
        }
      });
      prev.disabled = cur === 0;
      next.disabled = cur === story.steps.length - 1;
      box.setAttribute("data-step", String(cur));
    }
    prev.addEventListener("click", function () { apply(cur - 1); });
    next.addEventListener("click", function () { apply(cur + 1); });
    close.addEventListener("click", function () { box.style.display = "none"; });
    prev.disabled = true;
    count.textContent = "0 / " + story.steps.length;
    text.textContent = story.steps.map(function (s, i) { return (i + 1) + ". " + s.title; }).join(" · ");
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || box.style.display === "none") return;
      if (e.key === "ArrowRight" || e.key === "PageDown") { apply(cur + 1); e.preventDefault(); }
      if (e.key === "ArrowLeft" || e.key === "PageUp") { apply(cur - 1); e.preventDefault(); }
    });
    map._twinStory = { apply: apply, box: box };
    return box;
  }

  /* The comparison table below the maps. */
  function compareBar(root, cmp, onSelect) {
    var bar = el("div", "twin-cmp-bar", null, root);
    var head = el("div", "twin-cmp-head", null, bar);
    el("b", null, cmp.title, head);
    if (cmp.names.length > 2) {
      var lab = el("label", null, " " + cmp.right_label + " ", head);
      var sel = el("select", null, null, lab);
      sel.id = "twin-cmp-select";
      cmp.names.slice(1).forEach(function (n, i) {
        var op = el("option", null, n, sel);
        op.value = String(i);
      });
      sel.addEventListener("change", function () { onSelect(parseInt(sel.value, 10)); });
    }
    var t = cmp.table;
    var tb = el("table", null, null, bar);
    var hr = el("tr", null, null, el("thead", null, null, tb));
    t.head.forEach(function (h) { el("th", null, h, hr); });
    var body = el("tbody", null, null, tb);
    function row(r) {
      var tr = el("tr", null, null, body);
      el("th", null, r.th, tr);
      r.cells.forEach(function (c) { el("td", c.c || null, c.t, tr); });
    }
    t.rows.forEach(row);
    if (t.targets.length) {
      var tr = el("tr", null, null, body);
      var th = el("th", "twin-sec", t.targets_title, tr);
      th.colSpan = t.head.length;
      t.targets.forEach(row);
    }
  }

  function ready() {
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { window.twinReady = performance.now(); });
    });
  }

  /* Print and PDF: every panel open, story hidden, the district fitted to the sheet. */
  T.printMode = function () {
    document.body.classList.add("twin-print");
    var ds = document.querySelectorAll(".twin-box details");
    for (var i = 0; i < ds.length; i++) ds[i].open = true;
    (window.twinMaps || []).forEach(function (m) {
      m.invalidateSize({ animate: false });
      fit(m, m._twinSpec);
    });
  };
  window.addEventListener("beforeprint", T.printMode);

  /* The planner's report: sections of tables and inlined chart images. */
  function buildReport(root, r) {
    document.body.classList.add("twin-report-body");
    var page = el("div", "twin-report", null, root);
    if (r.synthetic) el("div", "twin-banner", r.synthetic, page);
    el("h1", null, r.title, page);
    if (r.description) el("p", "twin-desc", r.description, page);
    el("h2", null, r.sections.numbers, page);
    table(r.rows, page).className = "twin-report-table";
    if (r.hint) el("div", "twin-hint", r.hint, page);
    if (r.targets) {
      el("h2", null, r.sections.targets, page);
      var tb = el("table", "twin-report-table twin-targets", null, page);
      if (r.targets.head) {
        var hr = el("tr", null, null, tb);
        r.targets.head.forEach(function (h) { el("th", "twin-head", h, hr); });
      }
      r.targets.rows.forEach(function (row) {
        var tr = el("tr", null, null, tb);
        var th = el("th", null, row.label, tr);
        if (row.name !== row.label) th.title = row.name;
        row.cells.forEach(function (c) { el("td", null, c, tr); });
        el("td", "twin-" + row.status, row.mark, tr);
      });
    }
    if (r.changes) {
      el("h2", null, r.changes.title, page);
      var ct = el("table", "twin-report-table", null, page);
      var ch = el("tr", null, null, ct);
      r.changes.head.forEach(function (h) { el("th", "twin-head", h, ch); });
      r.changes.rows.forEach(function (row) {
        var tr = el("tr", null, null, ct);
        el("th", null, row.th, tr);
        row.cells.forEach(function (c) { el("td", c.c || null, c.t, tr); });
      });
    }
    if (r.charts.length) {
      el("h2", null, r.sections.charts, page);
      r.charts.forEach(function (c) {
        var fig = el("figure", "twin-chart", null, page);
        var img = el("img", null, null, fig);
        img.src = c.src;
        img.alt = c.title;
        if (c.note) el("figcaption", null, c.note, fig);
      });
    }
    if (r.assumptions.length) {
      el("h2", null, r.sections.assumptions, page);
      table(r.assumptions, page).className = "twin-report-table";
    }
    el("h2", null, r.sections.sources, page);
    table(r.sources, page).className = "twin-report-table twin-report-sources";
    if (r.attribution) el("p", "twin-sources", r.attribution, page);
  }

  /* Entry point: build the page from the parsed JSON blob. */
  T.page = function (data) {
    var root = document.getElementById("twin-root");
    if (data.report) { buildReport(root, data.report); ready(); return; }
    var first = data.maps[0] || { panels: {} };
    if (first.panels.banner) el("div", "twin-banner", first.panels.banner, root);
    if (!data.compare) {
      /* map.html#present: projector mode, large type, the story (citizen maps) started */
      if (/present/.test(window.location.hash)) document.body.classList.add("twin-present");
      var map = buildMap(el("div", "twin-map", null, root), first);
      if (document.body.classList.contains("twin-present") && map._twinStory) map._twinStory.apply(0);
      ready();
      return;
    }
    var row = el("div", "twin-cmp-maps", null, root);
    var divs = data.maps.map(function (m, i) { return el("div", "twin-map twin-cmp-map" + (i ? " twin-cmp-right" : ""), null, row); });
    var maps = data.maps.map(function (m, i) { return buildMap(divs[i], m); });
    var left = maps[0], rights = maps.slice(1);
    function show(k) {
      for (var i = 0; i < rights.length; i++) divs[i + 1].style.display = i === k ? "" : "none";
      rights[k].invalidateSize();
      rights[k].setView(left.getCenter(), left.getZoom(), { animate: false });
    }
    compareBar(root, data.compare, show);
    for (var i = 2; i < divs.length; i++) divs[i].style.display = "none";
    left.invalidateSize();
    fit(left, first);
    rights.forEach(function (r) { left.sync(r); r.sync(left); });
    show(0);
    ready();
  };
})();
