// The resource page's chart builder (Vega-Lite) and map (Leaflet). Data come from the DataStore API
// (datastore_search), with the same access checks as every API call. The configuration arrives in a
// <script type="application/json"> element; Vega runs with its expression interpreter (no eval), so
// the page's Content-Security-Policy needs no 'unsafe-eval'.
// defaultStyle and tooltip are off: both would inject <style> elements, which the CSP refuses.
"use strict";
(function () {
  const configElement = document.getElementById("preview-config");
  if (!configElement) return;
  const config = JSON.parse(configElement.textContent);
  const fieldType = Object.fromEntries(config.fields.map((f) => [f.id, f.type]));
  const tables = {};  // table id -> a promise of its rows

  function dataUrl(tableId) {
    return "/api/3/action/datastore_search?resource_id=" + encodeURIComponent(tableId) + "&limit=5000";
  }

  function load(tableId) {
    const id = tableId || config.resource_id;
    if (!tables[id]) {
      tables[id] = fetch(dataUrl(id), { headers: { Accept: "application/json" } })
        .then((answer) => answer.json())
        .then((body) => (body.success ? body.result.records : []));
    }
    return tables[id];
  }

  function vlType(name) {
    const kind = fieldType[name];
    if (kind === "int" || kind === "numeric") return "quantitative";
    if (kind === "date" || kind === "timestamp") return "temporal";
    return "nominal";
  }

  function spec(form, values) {
    const mark = form.mark.value, x = form.x.value, y = form.y.value, aggregate = form.aggregate.value;
    const encoding = {
      x: { field: x, type: vlType(x) === "quantitative" && mark === "bar" ? "ordinal" : vlType(x) },
      y: aggregate === "count" ? { aggregate: "count", type: "quantitative" }
        : Object.assign({ field: y, type: "quantitative" }, aggregate ? { aggregate } : {}),
      tooltip: [{ field: x }],
    };
    if (form.color.value) encoding.color = { field: form.color.value, type: vlType(form.color.value) === "quantitative" ? "quantitative" : "nominal" };
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      data: { values }, mark: { type: mark, tooltip: false }, encoding,
      width: "container", height: 320, config: { font: "Sarabun, sans-serif" },
    };
  }

  const EMBED = {
    renderer: "svg", actions: false, defaultStyle: false, tooltip: false, ast: true, expr: vega.expressionInterpreter,
  };

  async function embed(target, chart, values) {
    if (!values.length) { target.textContent = config.no_data; return; }
    await vegaEmbed(target, Object.assign({}, chart, { data: { values } }), EMBED);
    target.dataset.rendered = "true";
  }

  async function draw(form) {
    await embed(document.getElementById("chart"), spec(form, []), await load());
  }

  const form = document.getElementById("chart-form");
  if (form) {
    const numeric = form.y.querySelector("option[data-numeric]");
    if (numeric) numeric.selected = true;
    form.addEventListener("submit", (event) => { event.preventDefault(); draw(form); });
  }

  // "Save as view": the builder's spec travels without its rows, with a reference to the table
  // instead (the server checks it and stores only what passes).
  const viewForm = document.getElementById("view-form");
  if (viewForm && form) {
    viewForm.addEventListener("submit", () => {
      const saved = spec(form, []);
      saved.data = { url: dataUrl(config.resource_id), format: { type: "json", property: "result.records" } };
      document.getElementById("view-spec").value = JSON.stringify(saved);
    });
  }

  // Saved views: each spec is drawn with its table's rows, fetched as the builder fetches them.
  for (const target of document.querySelectorAll(".saved-chart[data-view]")) {
    const saved = JSON.parse(document.getElementById("view-spec-" + target.dataset.view).textContent);
    load(saved.table_id).then((values) => embed(target, saved.spec, values));
  }

  async function drawMap() {
    const element = document.getElementById("map");
    if (!element || !config.map || !window.L) return;
    const map = L.map(element, { attributionControl: Boolean(config.tiles) });
    if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 18 }).addTo(map);
    const values = await load();
    const layer = L.featureGroup();
    for (const row of values) {
      if (config.map.geometry) {
        let geometry = row[config.map.geometry];
        try { geometry = typeof geometry === "string" ? JSON.parse(geometry) : geometry; } catch (e) { continue; }
        if (geometry) L.geoJSON(geometry).addTo(layer);
      } else {
        const lat = parseFloat(row[config.map.lat]), lon = parseFloat(row[config.map.lon]);
        if (Number.isFinite(lat) && Number.isFinite(lon)) L.circleMarker([lat, lon], { radius: 5 }).addTo(layer);
      }
    }
    layer.addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { maxZoom: 14 }); else map.setView([13.75, 100.5], 5);
    element.dataset.rendered = "true";
  }
  drawMap();
})();
