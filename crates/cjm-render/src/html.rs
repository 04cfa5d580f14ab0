//! One self-contained HTML file: no network access, the SVG inline, zoom,
//! step details on hover or click, lane labels that stay in view while the
//! map scrolls sideways, and a print stylesheet.
//!
//! User text reaches the page only through the escaped SVG and a JSON island
//! whose `<`, `>` and `&` are `\u` escapes; the script writes details with
//! `textContent`, never as markup.

use crate::fonts::Weight;
use crate::svg::{draw, fmt, Page, LABEL_W, MARGIN};
use crate::text::esc;
use crate::theme::{theme, ThemeName};
use crate::{Options, StepFigures};
use cjm_model::Journey;
use serde_json::json;
use std::fmt::Write;

pub fn html(map: &Journey, opts: &Options) -> String {
    let drawing = draw(map, &Options { embed_font: false, ..opts.clone() }, Page::whole(map));
    let t = theme(opts.theme);
    let title = map.title.clone().unwrap_or_else(|| "Customer journey map".into());
    let label_w = MARGIN + LABEL_W;
    let data = island(map, opts);
    // The page shows the map's text outside the drawing too (the title,
    // step details, headings in bold): embed what all of it needs.
    let mut used = drawing.used.clone();
    used.add_text(&title, Weight::SemiBold);
    used.add_text(&data, Weight::Regular);
    used.add_text(&data, Weight::SemiBold);
    let font_css = format!("{}\n{}", font_face_css(), crate::fonts::embed::font_faces(&used));
    let font_stack = font_stack(&used);
    let dark = opts.theme == ThemeName::Dark;
    let mut out = String::with_capacity(drawing.svg.len() + 200_000);
    let _ = write!(
        out,
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cjm">
<title>{title}</title>
<style>
{font_css}
:root {{ --bg: {bg}; --surface: {surface}; --text: {text}; --muted: {muted}; --border: {border}; --accent: {accent}; color-scheme: {scheme}; }}
* {{ box-sizing: border-box; }}
html, body {{ margin: 0; height: 100%; background: var(--bg); color: var(--text); font-family: {font_stack}; font-synthesis: none; }}
.toolbar {{ position: sticky; top: 0; z-index: 5; display: flex; gap: 12px; align-items: center; padding: 10px 16px; background: var(--surface); border-bottom: 1px solid var(--border); }}
.toolbar h1 {{ font-size: 15px; font-weight: 600; margin: 0; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
.toolbar button {{ font: inherit; font-size: 14px; min-width: 34px; height: 30px; border: 1px solid var(--border); border-radius: 6px; background: var(--bg); color: var(--text); cursor: pointer; }}
.toolbar button:focus-visible, .step-hit:focus-visible {{ outline: 3px solid var(--accent); outline-offset: 2px; }}
#zoom-level {{ min-width: 48px; text-align: center; font-size: 13px; color: var(--muted); }}
#viewport {{ overflow: auto; height: calc(100% - 52px); }}
#canvas {{ position: relative; }}
#canvas > svg {{ display: block; }}
.sticky-labels {{ position: sticky; left: 0; float: left; margin-right: -{label_w}px; z-index: 2; pointer-events: none; }}
.step-hit {{ cursor: pointer; }}
.step-hit:hover, .step-hit.selected {{ fill: var(--accent); fill-opacity: 0.06; }}
#details {{ position: fixed; right: 16px; bottom: 16px; width: min(420px, calc(100% - 32px)); max-height: 70vh; overflow: auto; z-index: 6; background: var(--surface); border: 1px solid var(--border); border-radius: 12px; padding: 16px 18px; box-shadow: 0 8px 28px rgba(0,0,0,.18); font-size: 14px; line-height: 1.45; }}
#details h2 {{ font-size: 17px; margin: 0 0 2px; }}
#details .stage {{ color: var(--muted); font-size: 12px; margin-bottom: 10px; }}
#details dt {{ font-size: 11px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); margin-top: 10px; }}
#details dt.explained {{ cursor: help; text-decoration: underline dotted; text-underline-offset: 3px; }}
#details dd {{ margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }}
#details .close {{ float: right; }}
@media print {{
  @page {{ size: landscape; margin: 10mm; }}
  .toolbar, #details, .sticky-labels {{ display: none !important; }}
  #viewport {{ overflow: visible; height: auto; }}
  #canvas {{ width: auto !important; height: auto !important; }}
  #canvas > svg {{ width: 100% !important; height: auto !important; }}
  html, body {{ background: #fff; }}
}}
</style>
</head>
<body>
<header class="toolbar" role="toolbar" aria-label="Map view">
<h1>{title}</h1>
<button type="button" data-zoom="out" aria-label="Zoom out">−</button>
<span id="zoom-level" aria-live="polite">100%</span>
<button type="button" data-zoom="in" aria-label="Zoom in">+</button>
<button type="button" data-zoom="fit" aria-label="Fit to window">Fit</button>
<button type="button" data-zoom="reset" aria-label="Actual size">1:1</button>
</header>
<main id="viewport" tabindex="0" aria-label="Journey map">
<div id="canvas" data-width="{w}" data-height="{h}" style="width:{w}px;height:{h}px">
<div class="sticky-labels" aria-hidden="true" data-width="{label_w}" style="width:{label_w}px;height:{h}px"><svg xmlns="http://www.w3.org/2000/svg" width="{label_w}" height="{h}" viewBox="0 0 {label_w} {h}" font-family="Inter, &#39;Helvetica Neue&#39;, Arial, sans-serif">{labels}</svg></div>
{svg}
</div>
</main>
<aside id="details" hidden aria-live="polite"></aside>
<script type="application/json" id="cjm-data">{data}</script>
<script>{script}</script>
</body>
</html>
"##,
        title = esc(&title),
        bg = t.background,
        surface = t.surface,
        text = t.text,
        muted = t.muted,
        border = t.border,
        accent = t.accent,
        scheme = if dark { "dark" } else { "light" },
        w = fmt(drawing.width),
        h = fmt(drawing.height),
        labels = drawing.labels_svg,
        svg = drawing.svg,
        script = SCRIPT,
    );
    out
}

/// Inter, then the fallback faces the page uses, then the system's.
fn font_stack(used: &crate::fonts::runs::Used) -> String {
    let mut stack = String::from("Inter, ");
    for family in used.families() {
        let _ = write!(stack, "'{family}', ");
    }
    stack.push_str("'Helvetica Neue', Arial, sans-serif");
    stack
}

fn font_face_css() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "@font-face {{ font-family: Inter; font-weight: 400; src: url(data:font/woff2;base64,{}) format('woff2'); }}\n@font-face {{ font-family: Inter; font-weight: 600; src: url(data:font/woff2;base64,{}) format('woff2'); }}",
        b64.encode(crate::fonts::REGULAR_WOFF2),
        b64.encode(crate::fonts::SEMIBOLD_WOFF2)
    )
}

/// The map and its measured figures as JSON that cannot end the script
/// element: `<`, `>` and `&` are written as `\u` escapes.
fn island(map: &Journey, opts: &Options) -> String {
    let figures: serde_json::Map<String, serde_json::Value> = opts
        .measures
        .as_ref()
        .map(|m| m.steps.iter().map(|(id, f)| (id.clone(), figures_json(f))).collect())
        .unwrap_or_default();
    use cjm_model::measures::Figure;
    let explain = json!({
        "reach": Figure::Reach.explain(),
        "funnel": Figure::Funnel.explain(),
        "conversion": Figure::Conversion.explain(),
        "drop_off": Figure::DropOff.explain(),
        "time": Figure::Time.explain(),
        "score": Figure::Score.explain(),
    });
    let value = json!({ "map": map, "figures": figures, "explain": explain });
    serde_json::to_string(&value)
        .expect("JSON values always serialise")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn figures_json(f: &StepFigures) -> serde_json::Value {
    json!({
        "reached": f.reached,
        "reach_share": f.reach_share,
        "funnel": f.funnel,
        "optional": f.optional,
        "conversion": f.conversion,
        "drop_off": f.drop_off,
        "median_seconds_since_previous": f.median_seconds_since_previous,
        "mean_score": f.mean_score,
    })
}

/// The viewer. Plain DOM, no libraries, no network.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('cjm-data').textContent);
  var canvas = document.getElementById('canvas');
  var viewport = document.getElementById('viewport');
  var mainSvg = canvas.querySelector(':scope > svg');
  var labels = canvas.querySelector('.sticky-labels');
  var labelSvg = labels.querySelector('svg');
  var W = parseFloat(canvas.dataset.width), H = parseFloat(canvas.dataset.height), L = parseFloat(labels.dataset.width);
  var zoom = 1;
  function setZoom(z) {
    zoom = Math.min(4, Math.max(0.2, z));
    canvas.style.width = (W * zoom) + 'px';
    canvas.style.height = (H * zoom) + 'px';
    mainSvg.setAttribute('width', W * zoom);
    mainSvg.setAttribute('height', H * zoom);
    labels.style.width = (L * zoom) + 'px';
    labels.style.height = (H * zoom) + 'px';
    labels.style.marginRight = (-L * zoom) + 'px';
    labelSvg.setAttribute('width', L * zoom);
    labelSvg.setAttribute('height', H * zoom);
    document.getElementById('zoom-level').textContent = Math.round(zoom * 100) + '%';
  }
  document.querySelectorAll('[data-zoom]').forEach(function (b) {
    b.addEventListener('click', function () {
      var k = b.dataset.zoom;
      if (k === 'in') setZoom(zoom * 1.25);
      else if (k === 'out') setZoom(zoom / 1.25);
      else if (k === 'fit') setZoom(Math.min(viewport.clientWidth / W, viewport.clientHeight / H));
      else setZoom(1);
    });
  });
  viewport.addEventListener('wheel', function (e) {
    if (!e.ctrlKey) return;
    e.preventDefault();
    setZoom(zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
  }, { passive: false });

  var steps = {};
  (data.map.stages || []).forEach(function (stage) {
    (stage.steps || []).forEach(function (s) { steps[s.id] = { step: s, stage: stage }; });
  });
  var panel = document.getElementById('details');
  var pinned = null;
  function add(dl, label, value, why) {
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length)) return;
    var dt = document.createElement('dt'); dt.textContent = label; dl.appendChild(dt);
    if (why) { dt.title = why; dt.className = 'explained'; }
    var dd = document.createElement('dd'); dd.textContent = Array.isArray(value) ? value.join('\n') : String(value); dl.appendChild(dd);
  }
  function pct(v) { return v === null || v === undefined ? null : (v * 100).toFixed(1) + '%'; }
  function show(id) {
    var entry = steps[id];
    if (!entry) return;
    var s = entry.step;
    panel.textContent = '';
    var close = document.createElement('button');
    close.className = 'close'; close.type = 'button'; close.textContent = '×'; close.setAttribute('aria-label', 'Close details');
    close.addEventListener('click', function () { pinned = null; panel.hidden = true; select(null); });
    panel.appendChild(close);
    var h = document.createElement('h2'); h.textContent = s.name; panel.appendChild(h);
    var st = document.createElement('div'); st.className = 'stage'; st.textContent = entry.stage.name || 'Journey'; panel.appendChild(st);
    var dl = document.createElement('dl');
    var scores = [];
    if (s.score !== null && s.score !== undefined) scores.push((s.actors && s.actors.length ? s.actors.join(', ') + ': ' : '') + s.score);
    (s.persona_scores || []).forEach(function (p) { scores.push(p.persona + ': ' + p.score); });
    add(dl, 'Score', scores);
    if (s.future_score !== undefined) add(dl, 'Future score', s.future_score);
    add(dl, 'Channels', s.channels);
    add(dl, 'Touchpoints', s.touchpoints);
    add(dl, 'Doing', s.doing);
    add(dl, 'Thinking', s.thinking);
    add(dl, 'Feeling', s.feeling);
    add(dl, 'Pain points', (s.pains || []).map(function (p) { return (p.severity ? '[' + p.severity + '/5] ' : '') + p.text; }));
    add(dl, 'Opportunities', (s.opportunities || []).map(function (o) {
      var tags = [o.impact && 'impact ' + o.impact, o.effort && 'effort ' + o.effort, o.status, o.owner].filter(Boolean);
      return o.text + (tags.length ? ' (' + tags.join(', ') + ')' : '');
    }));
    add(dl, 'Backstage', s.backstage);
    add(dl, 'Support systems', s.systems);
    add(dl, 'Owner', s.owner);
    add(dl, 'Notes', s.notes);
    add(dl, 'Metrics', (s.metrics || []).map(function (m) { return m.name + (m.target !== undefined ? ' (target ' + m.target + (m.unit ? ' ' + m.unit : '') + ')' : ''); }));
    var f = data.figures[id];
    if (f) {
      var why = data.explain;
      add(dl, 'Reach', f.reached + ' (' + pct(f.reach_share) + ' of all customers)', why.reach);
      add(dl, 'In funnel', f.optional ? 'optional step: not in the funnel' : f.funnel, why.funnel);
      add(dl, 'Conversion', pct(f.conversion), why.conversion);
      add(dl, 'Drop-off', pct(f.drop_off), why.drop_off);
      add(dl, 'Measured score', f.mean_score === null ? null : f.mean_score.toFixed(2), why.score);
    }
    add(dl, 'Evidence rule', s.evidence);
    panel.appendChild(dl);
    panel.hidden = false;
  }
  function select(id) {
    mainSvg.querySelectorAll('.step-hit.selected').forEach(function (e) { e.classList.remove('selected'); });
    if (id) mainSvg.querySelectorAll('.step-hit').forEach(function (e) { if (e.dataset.step === id) e.classList.add('selected'); });
  }
  mainSvg.querySelectorAll('.step-hit').forEach(function (el) {
    el.setAttribute('tabindex', '0');
    el.setAttribute('role', 'button');
    el.addEventListener('mouseenter', function () { if (!pinned) show(el.dataset.step); });
    el.addEventListener('mouseleave', function () { if (!pinned) panel.hidden = true; });
    function pin() { pinned = el.dataset.step; select(pinned); show(pinned); }
    el.addEventListener('click', pin);
    el.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pin(); } });
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { pinned = null; panel.hidden = true; select(null); } });
})();
"#;
