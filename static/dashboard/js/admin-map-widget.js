// GeoDjango's map widgets in the admin, started from their data attributes: Django's own
// template starts them with inline script, which the Content-Security-Policy forbids.
// A classic script (OpenLayers and OLMapWidget.js are classic scripts in the page's head).
/* global ol, MapWidget */
"use strict";

(() => {
  function baseLayer(box) {
    const basemap = box.dataset.basemap;
    if (basemap) {
      // Leaflet's {s} sub-domains are OpenLayers' {a-c}.
      return new ol.layer.Tile({ source: new ol.source.XYZ({ url: basemap.replace("{s}", "{a-c}"), maxZoom: 19 }) });
    }
    // No basemap configured: the parishes from Koban's own API, as on the dashboard.
    return new ol.layer.Vector({
      source: new ol.source.Vector({ url: box.dataset.areasUrl, format: new ol.format.GeoJSON() }),
      style: new ol.style.Style({
        stroke: new ol.style.Stroke({ color: "#7d8fa3", width: 1.2 }),
        fill: new ol.style.Fill({ color: "rgba(255, 255, 255, 0.6)" }),
      }),
    });
  }

  for (const box of document.querySelectorAll("[data-koban-map-widget]:not([data-started])")) {
    const d = box.dataset;
    if (d.id.includes("__prefix__")) continue; // the empty form of an inline formset
    box.dataset.started = "true";
    const options = {
      base_layer: baseLayer(box),
      geom_name: d.geomName,
      id: d.id,
      map_id: d.mapId,
      map_srid: Number(d.mapSrid),
      name: d.name,
    };
    if (d.defaultLon) {
      options.default_lon = Number(d.defaultLon);
      options.default_lat = Number(d.defaultLat);
      options.default_zoom = Number(d.defaultZoom);
    }
    window[d.module] = new MapWidget(options);
  }
})();
