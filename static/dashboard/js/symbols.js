// Map and list symbols: colour says priority, shape says status; finished items fade to grey.
// The same SVG is used on the map, in the list and in the legend, so they always agree. Each
// symbol is a fresh SVG element (an element has one parent): call again for each place.

export const PRIORITY_COLOURS = { high: "#c62828", medium: "#e08600", low: "#1f63c6" };
// For legends that explain shapes only.
const NEUTRAL = "#3d4b5c";
const FINISHED = new Set(["resolved", "closed", "cancelled", "duplicate"]);
const GREY = "#7b8794";

export const STATUS_SHAPES = {
  new: "circle",
  acknowledged: "square",
  dispatched: "triangle",
  on_scene: "diamond",
  resolved: "ring",
  closed: "ring",
  cancelled: "cross",
  duplicate: "cross",
};

export function incidentColour(priority, status) {
  if (priority === "neutral") return NEUTRAL;
  return FINISHED.has(status) ? GREY : PRIORITY_COLOURS[priority] ?? GREY;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes; built node by node, so no string is ever parsed as markup. */
function svgEl(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

function symbolSvg(size, viewBox, attrs, ...children) {
  return svgEl("svg", {
    class: "sym", ...attrs, width: size, height: size, viewBox,
    "aria-hidden": "true", focusable: "false",
  }, ...children);
}

function shapeNode(shape, s) {
  const c = s / 2;
  const r = s / 2 - 2;
  switch (shape) {
    case "square":
      return svgEl("rect", { x: 3, y: 3, width: s - 6, height: s - 6, rx: 2 });
    case "triangle":
      return svgEl("path", { d: `M${c} 2 L${s - 2} ${s - 3} L2 ${s - 3} Z` });
    case "diamond":
      return svgEl("path", { d: `M${c} 1 L${s - 1} ${c} L${c} ${s - 1} L1 ${c} Z` });
    case "cross":
      return svgEl("path", { d: `M4 4 L${s - 4} ${s - 4} M${s - 4} 4 L4 ${s - 4}`, fill: "none", "stroke-width": 4 });
    case "ring":
      return svgEl("circle", { cx: c, cy: c, r: r - 1, fill: "#fff", "stroke-width": 4 });
    default:
      return svgEl("circle", { cx: c, cy: c, r });
  }
}

/** SVG element of an incident symbol; `fill` is exposed as data-colour for tests and the legend. */
export function incidentSvg(priority, status, size = 20) {
  const colour = incidentColour(priority, status);
  const shape = STATUS_SHAPES[status] ?? "circle";
  const stroke = shape === "cross" || shape === "ring" ? colour : "#ffffff";
  return symbolSvg(size, `0 0 ${size} ${size}`, { "data-colour": colour },
    svgEl("g", { fill: colour, stroke, "stroke-width": 2 }, shapeNode(shape, size)));
}

export const CONCERN_COLOUR = "#6d3fc0";

export function concernSvg(status, size = 18) {
  const colour = status === "closed" ? GREY : CONCERN_COLOUR;
  const c = size / 2;
  const pts = [...Array(6)].map((_, i) => {
    const a = (Math.PI / 3) * i + Math.PI / 6;
    return `${(c + (c - 1.5) * Math.cos(a)).toFixed(1)},${(c + (c - 1.5) * Math.sin(a)).toFixed(1)}`;
  }).join(" ");
  const mark = svgEl("text", {
    x: c, y: c + size * 0.19, "text-anchor": "middle", "font-size": Math.round(size * 0.55),
    "font-weight": 700, fill: "#fff", "font-family": "system-ui, sans-serif",
  }, "!");
  return symbolSvg(size, `0 0 ${size} ${size}`, { "data-colour": colour },
    svgEl("polygon", { points: pts, fill: colour, stroke: "#fff", "stroke-width": 2 }), mark);
}

export function stationSvg(size = 18) {
  return symbolSvg(size, "0 0 18 18", {},
    svgEl("path", {
      d: "M9 1 L16 3.5 V9 C16 13 12.5 15.8 9 17 C5.5 15.8 2 13 2 9 V3.5 Z",
      fill: "#17324d", stroke: "#fff", "stroke-width": 1.5,
    }),
    svgEl("circle", { cx: 9, cy: 8.5, r: 2.4, fill: "#fff" }));
}

export const PATROL_COLOURS = { available: "#1b7f3b", busy: "#b54708", off_duty: "#5f6b7a" };
