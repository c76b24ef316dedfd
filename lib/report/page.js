// The report as one self-contained HTML page: a header with what the model is and how well it
// did on held-out rows, then the charts (inline SVG) and tables. No script, no external font,
// stylesheet or image: it can be saved, mailed or served as it is.

import { escapeHtml, formatCount, formatDuration, formatFixed, formatNumber, formatPercent } from './format.js';

const TYPE_NAMES = {
  regression: 'Regression',
  classification: 'Classification',
  timeseries: 'Time series',
  'neural-network': 'Neural network',
};

/**
 * @param {object} data report data (report-data.js)
 * @param {Array<{ id, title, caption, svg, compactSvg }>} charts drawn charts, wide and for a phone
 * @param {{ generatedAt: string, productVersion: string }} meta
 */
export function renderPage(data, charts, meta) {
  const title = `${data.modelName}${data.version ? ` v${data.version}` : ''} · training report`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="s3db-ml ${escapeHtml(meta.productVersion)}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(data)}
${data.missing.map((line) => `<p class="missing" role="note">${escapeHtml(line)}</p>`).join('\n')}
<section class="charts" aria-label="Charts">
${charts.map(figure).join('\n')}
</section>
${perLabelTable(data)}
${preprocessingTable(data)}
<footer>Drawn by s3db-ml ${escapeHtml(meta.productVersion)} on ${escapeHtml(formatTime(meta.generatedAt))} from the data stored with this version. Metrics are measured on ${data.measured.heldOut ? 'rows held out of training' : 'the training rows (none were held out)'}.</footer>
</main>
</body>
</html>
`;
}

function header(data) {
  const type = TYPE_NAMES[data.type] ?? data.type;
  const features = data.features.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ');
  const split =
    data.validationSamples > 0
      ? `${formatCount(data.trainSamples)} to train, ${formatCount(data.validationSamples)} held out`
      : 'all to train, none held out';
  // A time series trains on windows of `lookback` records, one fewer per record of lookback.
  const used = data.type === 'timeseries' ? `${formatCount(data.samples)} records · windows: ${split}` : `${formatCount(data.samples)} · ${split}`;
  const device = `${data.engine ? `${data.engine} engine on ` : ''}${data.backend}${data.adapter ? ` (${data.adapter})` : ''}`;
  return `<header class="top">
<p class="eyebrow">s3db-ml training report</p>
<h1>${escapeHtml(data.modelName)}</h1>
<p class="tags"><span class="tag">${escapeHtml(type)}</span><span class="tag" data-field="version">${data.version ? `version ${data.version}` : 'not stored'}</span></p>
<p class="lede">Predicts <code>${escapeHtml(data.target)}</code> from ${features}.</p>
<dl class="facts">
${fact('Trained', formatTime(data.trainedAt), 'trainedAt', data.trainedAt)}
${fact('Rows used', used, 'samples', data.samples)}
${data.read ? fact('Records read', readText(data.read), 'read', data.read.mode) : ''}
${fact('Training', `${data.epochs} of ${data.configuredEpochs} epochs in ${formatDuration(data.durationMs)}`, 'epochs', data.epochs)}
${fact('Engine', device, 'backend', data.backend)}
${fact('Parameters', formatCount(data.parameters), 'parameters', data.parameters)}
</dl>
<section class="metrics" aria-label="${data.measured.Kind} metrics">
<h2 class="visually-hidden">${data.measured.Kind} metrics</h2>
${metricCards(data).join('\n')}
</section>
${configList(data)}
</header>`;
}

/**
 * How the training read its records: all of them, or (with the training snapshot) only those
 * changed since the last training.
 */
function readText(read) {
  const took = Number.isFinite(read.durationMs) ? ` in ${formatDuration(read.durationMs)}` : '';
  if (read.mode !== 'incremental') return `all ${formatCount(read.fetched)} fetched${took}`;
  const deleted = read.deleted > 0 ? `, ${formatCount(read.deleted)} deleted since` : '';
  return `${formatCount(read.fetched)} new or changed fetched, ${formatCount(read.reused)} reused from the training snapshot${deleted}${took}`;
}

function fact(name, text, field, value) {
  return `<div><dt>${escapeHtml(name)}</dt><dd data-field="${field}" data-value="${escapeHtml(String(value ?? ''))}">${escapeHtml(text)}</dd></div>`;
}

function card(label, metric, value, text, hint) {
  return `<div class="metric" data-metric="${metric}" data-value="${escapeHtml(String(value ?? ''))}"><span class="metric-label">${escapeHtml(label)}</span><span class="metric-value">${escapeHtml(text)}</span>${hint ? `<span class="metric-hint">${escapeHtml(hint)}</span>` : ''}</div>`;
}

/** The headline numbers: the held-out (or, none held out, training) metrics of the model's kind, then the final losses. */
function metricCards(data) {
  const cards = [];
  const rows = `${data.measured.kind} rows`;
  const r = data.regression;
  if (r) {
    cards.push(
      card('R²', 'r2', r.r2, formatFixed(r.r2, 4), '1 is perfect, 0 is guessing the mean'),
      card('MAE', 'mae', r.mae, formatNumber(r.mae), `mean absolute error, ${data.target} units`),
      card('RMSE', 'rmse', r.rmse, formatNumber(r.rmse), `root mean squared error, ${data.target} units`),
    );
    if (r.mape !== null && r.mape !== undefined) {
      cards.push(card('MAPE', 'mape', r.mape, `${formatNumber(r.mape)}%`, 'mean absolute percentage error'));
    }
    const interval = data.diagnostics?.interval;
    if (interval) {
      cards.push(
        card(
          `${formatPercent(interval.target)} interval`,
          'intervalCoverage',
          interval.empirical,
          `±${formatNumber(interval.halfWidth)}`,
          `covered ${formatPercent(interval.empirical)} of ${rows}`,
        ),
      );
    } else if (data.calibration) {
      cards.push(card(`${formatPercent(data.calibration.coverage)} interval`, 'halfWidth', data.calibration.halfWidth, `±${formatNumber(data.calibration.halfWidth)}`, `${data.target} units`));
    }
  }
  const c = data.classification;
  if (c) {
    const macroF1 = c.perLabel.reduce((s, m) => s + m.f1, 0) / Math.max(1, c.perLabel.length);
    cards.push(
      card('Accuracy', 'accuracy', c.accuracy, formatPercent(c.accuracy), `${formatCount(c.correct)} of ${formatCount(c.total)} ${rows} right`),
      card('Macro F1', 'macroF1', macroF1, formatFixed(macroF1, 3), 'mean F1 over labels'),
    );
    if (data.head === 'labels' && data.temperature !== 1) {
      cards.push(card('Temperature', 'temperature', data.temperature, formatFixed(data.temperature, 2), 'scales probabilities to match accuracy'));
    }
  }
  if (Number.isFinite(data.loss)) cards.push(card('Final loss', 'loss', data.loss, formatNumber(data.loss), data.lossName));
  if (Number.isFinite(data.valLoss)) cards.push(card('Final validation loss', 'valLoss', data.valLoss, formatNumber(data.valLoss), 'on held-out rows'));
  return cards;
}

function configList(data) {
  const entries = Object.entries(data.config);
  if (entries.length === 0) return '';
  return `<details class="config" open>
<summary>Configuration</summary>
<dl>${entries.map(([key, value]) => `<div><dt>${escapeHtml(key)}</dt><dd>${escapeHtml(configValue(key, value))}</dd></div>`).join('')}</dl>
</details>`;
}

function configValue(key, value) {
  if (key === 'layers' && Array.isArray(value)) {
    return value.map((l) => `${l.units} ${l.activation ?? ''}${l.dropout ? ` (dropout ${l.dropout})` : ''}`.trim()).join(' → ');
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(', ');
  }
  return String(value);
}

function figure(chart) {
  return `<figure class="chart" id="chart-${chart.id}" data-chart="${chart.id}">
<h2 id="${chart.id}-title">${escapeHtml(chart.title)}</h2>
<div class="plot wide">${chart.svg}</div>
<div class="plot compact">${chart.compactSvg}</div>
<figcaption>${escapeHtml(chart.caption)}</figcaption>
</figure>`;
}

function perLabelTable(data) {
  const c = data.classification;
  if (!c) return '';
  const rows = c.perLabel
    .map(
      (m) =>
        `<tr><th scope="row">${escapeHtml(m.label)}</th><td>${formatFixed(m.precision, 3)}</td><td>${formatFixed(m.recall, 3)}</td><td>${formatFixed(m.f1, 3)}</td><td>${formatCount(m.support)}</td></tr>`,
    )
    .join('\n');
  return `<section class="table" id="per-label" aria-labelledby="per-label-heading">
<h2 id="per-label-heading">Per-label metrics (${data.measured.kind} rows)</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">Label</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th><th scope="col">Rows</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</section>`;
}

/** `{ [feature]: { kind, missing, imputedWith?, categories?, other? } }`, when the version has it. */
function preprocessingTable(data) {
  const p = data.preprocessing;
  if (!p || typeof p !== 'object' || Object.keys(p).length === 0) return '';
  const cell = (v) => {
    if (v === undefined || v === null) return '–';
    if (typeof v === 'number') return escapeHtml(formatNumber(v));
    return escapeHtml(typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  const rows = Object.entries(p)
    .map(([feature, f]) => {
      const categories = Array.isArray(f?.categories)
        ? `${f.categories.slice(0, 12).map(String).join(', ')}${f.categories.length > 12 ? `, … (${f.categories.length} in all)` : ''}`
        : undefined;
      return `<tr><th scope="row"><code>${escapeHtml(feature)}</code></th><td>${cell(f?.kind)}</td><td>${cell(f?.missing)}</td><td>${cell(f?.imputedWith)}</td><td>${cell(categories)}</td><td>${cell(f?.other)}</td></tr>`;
    })
    .join('\n');
  return `<section class="table" id="preprocessing" aria-labelledby="preprocessing-heading">
<h2 id="preprocessing-heading">Preprocessing</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">Feature</th><th scope="col">Kind</th><th scope="col">Missing</th><th scope="col">Filled with</th><th scope="col">Categories</th><th scope="col">Other</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</section>`;
}

function formatTime(iso) {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1F2328; --muted: #59636E; --line: #D8DEE4; --card: #FFFFFF; --page: #F6F8FA; --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 40px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; background: #EEF1F4; padding: 1px 5px; border-radius: 4px; }
.top { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px; }
.eyebrow { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: 0.06em; text-transform: uppercase; }
h1 { margin: 2px 0 6px; font-size: 28px; line-height: 1.2; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 0 0 8px; }
.tags { margin: 0 0 8px; display: flex; gap: 8px; flex-wrap: wrap; }
.tag { display: inline-block; padding: 2px 10px; border-radius: 999px; background: #E7F1F8; color: #004F7C; font-size: 13px; font-weight: 600; }
.lede { margin: 0 0 12px; color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 210px), 1fr)); gap: 8px 20px; margin: 0 0 16px; }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.config dt { color: var(--muted); font-size: 13px; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.facts dd, .config dd { margin: 0; overflow-wrap: anywhere; }
.metrics { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 148px), 1fr)); gap: 10px; margin: 0 0 12px; }
.metric { border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; background: #FBFCFD; display: flex; flex-direction: column; }
.metric-label { color: var(--muted); font-size: 13px; }
.metric-value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.25; }
.metric-hint { color: var(--muted); font-size: 12px; }
.config summary { cursor: pointer; font-weight: 600; margin-bottom: 6px; }
.config dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 130px), 1fr)); gap: 6px 20px; margin: 0; }
.missing { background: #FFF8E5; border: 1px solid #E6C463; border-radius: 10px; padding: 10px 14px; margin: 16px 0 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; margin-top: 16px; }
.chart, .table { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 16px 12px; margin: 0; min-width: 0; }
.chart svg { display: block; width: 100%; height: auto; }
.plot.compact { display: none; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.table { margin-top: 16px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 16px 6px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
thead th { color: var(--muted); font-size: 13px; font-weight: 600; }
#per-label td, #per-label thead th:not(:first-child) { text-align: right; padding-left: 24px; }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 600px) {
  .plot.wide { display: none; }
  .plot.compact { display: block; }
  main { padding: 12px 10px 28px; }
  .top { padding: 14px; }
  h1 { font-size: 22px; }
  .metric-value { font-size: 20px; }
  .chart, .table { padding: 10px 8px; }
}
`;
