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
  let records = null;

  async function load() {
    if (records) return records;
    const url = "/api/3/action/datastore_search?limit=5000&resource_id=" + encodeURIComponent(config.resource_id);
    const answer = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await answer.json();
    records = body.success ? body.result.records : [];
    return records;
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

  async function draw(form) {
    const target = document.getElementById("chart");
    const values = await load();
    if (!values.length) { target.textContent = config.no_data; return; }
    await vegaEmbed(target, spec(form, values), {
      renderer: "svg", actions: false, defaultStyle: false, tooltip: false, ast: true, expr: vega.expressionInterpreter,
    });
    target.dataset.rendered = "true";
  }

  const form = document.getElementById("chart-form");
  if (form) {
    const numeric = form.y.querySelector("option[data-numeric]");
    if (numeric) numeric.selected = true;
    form.addEventListener("submit", (event) => { event.preventDefault(); draw(form); });
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
