// A real-time feed's page: the latest values, the time since the last observation, a live chart of one
// variable (Vega-Lite) and a station map (Leaflet), all kept up to date from the feed's event stream
// (/api/realtime/{id}/stream, server-sent events; the browser resumes it with Last-Event-ID). The page
// reads without JavaScript; this only keeps it live. No inline styles or eval: the CSP stays strict.
"use strict";
(function () {
  const configElement = document.getElementById("feed-config");
  if (!configElement) return;
  const config = JSON.parse(configElement.textContent);
  const base = "/api/realtime/" + encodeURIComponent(config.resource_id);
  const relative = new Intl.RelativeTimeFormat(config.lang === "th" ? "th" : "en", { numeric: "auto" });
  const STEPS = [[60, "second"], [60, "minute"], [24, "hour"], [Infinity, "day"]];

  function utc(text) { return Date.parse(/Z|[+-]\d\d:\d\d$/.test(text) ? text : text + "Z"); }

  function ago(text) {
    let amount = Math.round((utc(text) - Date.now()) / 1000);
    for (const [size, unit] of STEPS) {
      if (Math.abs(amount) < size) return relative.format(Math.min(amount, 0), unit);
      amount = Math.round(amount / size);
    }
    return text;
  }

  function tick() {
    for (const time of document.querySelectorAll(".feed time[datetime]")) time.textContent = ago(time.dateTime);
  }
  setInterval(tick, 1000);

  const variableSelect = document.getElementById("feed-variable");
  const chart = document.getElementById("feed-chart");
  let view = null;

  async function drawChart() {
    if (!chart || !variableSelect || !window.vegaEmbed) return;
    const variable = variableSelect.value;
    const answer = await fetch(base + "/history?lastN=60&variable=" + encodeURIComponent(variable));
    const body = await answer.json();
    const values = body.success ? body.result.records : [];
    const spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      data: { name: "observations", values },
      mark: { type: "line", point: true, tooltip: false },
      encoding: {
        x: { field: "observed_at", type: "temporal", title: null },
        y: { field: "value", type: "quantitative", title: variable },
        color: { field: "entity", type: "nominal", legend: { title: null } },
      },
      width: "container", height: 300, config: { font: "Sarabun, sans-serif" },
    };
    const result = await vegaEmbed(chart, spec, {
      renderer: "svg", actions: false, defaultStyle: false, tooltip: false, ast: true, expr: vega.expressionInterpreter,
    });
    view = result.view;
    chart.dataset.rendered = "true";
  }
  if (variableSelect) variableSelect.addEventListener("change", drawChart);

  const markers = new Map();
  function popup(entity, values) {
    const box = document.createElement("div");  // text nodes only: station names and values are data
    const title = document.createElement("strong");
    title.textContent = entity;
    box.appendChild(title);
    for (const [variable, cell] of Object.entries(values)) {
      const line = document.createElement("div");
      line.textContent = variable + ": " + cell.value + (cell.unit ? " " + cell.unit : "");
      box.appendChild(line);
    }
    return box;
  }
  function drawMap() {
    const element = document.getElementById("feed-map");
    if (!element || !window.L || !config.stations.length) return;
    const map = L.map(element, { attributionControl: Boolean(config.tiles) });
    if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 18 }).addTo(map);
    const layer = L.featureGroup();
    for (const station of config.stations) {
      if (!station.location) continue;
      const marker = L.circleMarker([station.location.lat, station.location.lon], { radius: 6 });
      marker.bindPopup(popup(station.entity, station.values));
      markers.set(station.entity, { marker, values: station.values });
      marker.addTo(layer);
    }
    layer.addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 12 });
    element.dataset.rendered = "true";
  }

  function showObservation(o) {
    const updated = document.getElementById("feed-updated");
    if (updated && utc(o.observed_at) > utc(updated.dateTime)) updated.dateTime = o.observed_at;
    const stale = document.getElementById("feed-stale");
    if (stale) stale.hidden = true;  // data is arriving again
    const row = document.querySelector('#feed-latest tr[data-entity="' + CSS.escape(o.entity) + '"]');
    if (row) {
      const cell = row.querySelector('td[data-variable="' + CSS.escape(o.variable) + '"]');
      if (cell) cell.textContent = o.value + (o.unit ? " " + o.unit : "");
      const observed = row.querySelector(".observed time");
      if (observed && utc(o.observed_at) >= utc(observed.dateTime)) observed.dateTime = o.observed_at;
    }
    const known = markers.get(o.entity);
    if (known) {
      known.values[o.variable] = { value: o.value, unit: o.unit || "" };
      known.marker.setPopupContent(popup(o.entity, known.values));
    }
    if (view && variableSelect && o.variable === variableSelect.value) view.insert("observations", [o]).run();
    if (chart) chart.dataset.live = String(Number(chart.dataset.live || 0) + 1);
    tick();
  }

  window.addEventListener("DOMContentLoaded", () => {
    drawChart();
    drawMap();
    const stream = new EventSource(base + "/stream");
    stream.addEventListener("observation", (event) => showObservation(JSON.parse(event.data)));
  });
})();
