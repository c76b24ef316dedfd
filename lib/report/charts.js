// The charts of a report, as ECharts options built from report data (lib/report/report-data.js).
// Each chart is `{ id, title, caption, width, height, option }`; draw.js renders them to SVG.
// Colours are the Okabe–Ito palette, which stays distinct under the common colour-vision
// deficiencies; series also differ by line style or marker so that colour is never the only cue.

import { dateLabeller, formatFixed, formatNumber, formatPercent } from './format.js';

export const PALETTE = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  sky: '#56B4E9',
  pink: '#CC79A7',
  grey: '#6B6B6B',
  ink: '#1F2328',
};
/** Sequential blues for counts (light = few, dark = many). */
const HEAT = ['#F3F8FC', '#C6DBEF', '#6BAED6', '#2171B5', '#08306B'];

/**
 * Charts are drawn twice: wide (two columns at 1280 px) and compact (a phone's width, where a
 * scaled-down wide chart's text would be too small to read). The page shows the one that fits.
 */
const LAYOUTS = {
  wide: { width: 560, height: 360, compact: false },
  compact: { width: 360, height: 300, compact: true },
};
/** Points drawn per line at most; longer histories are thinned evenly (the ends and the kept epoch stay). */
const MAX_LINE_POINTS = 1000;

const AXIS_TEXT = { color: '#3B4048', fontSize: 12 };
const AXIS_NAME = { color: '#1F2328', fontSize: 13 };

function valueAxis(name, extra = {}) {
  return {
    type: 'value',
    name,
    nameLocation: 'middle',
    nameTextStyle: AXIS_NAME,
    axisLabel: { ...AXIS_TEXT, formatter: (v) => formatNumber(v) },
    axisLine: { show: true, onZero: false, lineStyle: { color: '#8C959F' } },
    splitLine: { lineStyle: { color: '#E6E8EB' } },
    scale: true,
    ...extra,
  };
}

/** What differs between the wide and the compact drawing of a chart. */
class Layout {
  constructor({ width, height, compact }) {
    Object.assign(this, { width, height, compact });
  }

  legend(extra = {}) {
    const fontSize = this.compact ? 11 : 12;
    return { top: 4, left: 'center', itemGap: this.compact ? 10 : 20, itemWidth: this.compact ? 18 : 25, textStyle: { color: '#1F2328', fontSize }, ...extra };
  }

  /**
   * A legend of long entries: in a row when wide, one entry a line on a phone (the server-side
   * renderer cannot measure text exactly, so it cannot be trusted to wrap a row).
   */
  stackedLegend() {
    return this.compact ? this.legend({ orient: 'vertical', left: 8, itemGap: 6 }) : this.legend();
  }

  /** The plot area below a legend of `entries` from `stackedLegend()`. */
  gridBelow(entries, extra = {}) {
    return this.compact ? this.grid({ top: 24 + 20 * entries, ...extra }) : this.grid(extra);
  }

  /** The plot area; `legendRows` the legend lines above it. */
  grid(extra = {}, legendRows = 1) {
    return this.compact
      ? { left: 58, right: 14, top: 14 + 20 * legendRows, bottom: 50, ...extra }
      : { left: 72, right: 24, top: 24 + 20 * legendRows, bottom: 56, ...extra };
  }

  /** The long axis name, or its short form on a phone. */
  name(long, short = long) {
    return this.compact ? short : long;
  }

  /** Distance of a y axis' name from the axis, past its tick labels. */
  get yNameGap() {
    return this.compact ? 42 : 54;
  }
}

/**
 * Every chart the data supports, in page order.
 * @param {object} data report data
 * @param {'wide'|'compact'} size
 */
export function reportCharts(data, size = 'wide') {
  const layout = new Layout(LAYOUTS[size]);
  const charts = [lossChart(data, layout)];
  const d = data.diagnostics;
  if (d?.points && data.type === 'timeseries') charts.push(forecastChart(data, layout));
  else if (d?.points) charts.push(predictedVsActualChart(data, layout));
  if (d?.points && d.interval) charts.push(residualChart(data, layout));
  if (data.classification) charts.push(confusionChart(data, layout), perLabelChart(data, layout));
  if (d?.reliability) charts.push(reliabilityChart(data, layout));
  if (data.importance) charts.push(importanceChart(data, layout));
  return charts;
}

/** Loss and validation loss per epoch, with the epoch whose weights were kept. */
/** What the loss curve is for models whose epochs are not how the served model learned (see the README's epochs table). */
const ENGINE_NOTES = {
  'least-squares': () => 'The model is the exact least-squares fit, solved in the first epoch: the later epochs have nothing left to learn.',
  'logistic-regression': (measured) =>
    `These are the epochs of the network, which labelled no more ${measured.kind} rows right than the converged logistic regression; the regression is the model.`,
};

function lossChart(data, layout) {
  const history = thin(data.history, data.bestEpoch);
  const losses = history.flatMap((h) => [h.loss, h.valLoss]).filter((v) => Number.isFinite(v) && v > 0);
  const logScale = losses.length > 1 && Math.max(...losses) / Math.min(...losses) > 30;
  // An exact fit reports the same losses every epoch: drawn from 0, its lines read as flat instead
  // of an axis whose every label rounds to the same number.
  const isFlat = (values) => values.length === 0 || Math.max(...values) - Math.min(...values) <= 1e-3 * Math.max(...values);
  const flat = losses.length > 0 && isFlat(history.map((h) => h.loss)) && isFlat(history.map((h) => h.valLoss).filter((v) => v !== null));
  const series = [
    {
      name: 'Training loss',
      type: 'line',
      showSymbol: false,
      lineStyle: { width: 2, color: PALETTE.blue },
      itemStyle: { color: PALETTE.blue },
      data: history.map((h) => [h.epoch, h.loss]),
    },
  ];
  const validated = history.some((h) => h.valLoss !== null);
  if (validated) {
    series.push({
      name: 'Validation loss (held-out rows)',
      type: 'line',
      showSymbol: false,
      lineStyle: { width: 2, type: 'dashed', color: PALETTE.vermillion },
      itemStyle: { color: PALETTE.vermillion },
      data: history.filter((h) => h.valLoss !== null).map((h) => [h.epoch, h.valLoss]),
    });
  }
  const kept = data.bestEpoch > 0 && data.bestEpoch < data.epochs;
  if (kept) {
    series[0].markLine = {
      symbol: 'none',
      silent: true,
      lineStyle: { color: PALETTE.ink, type: 'dotted', width: 1.5 },
      label: {
        formatter: layout.compact ? `Kept: epoch ${data.bestEpoch}` : `Weights kept from epoch ${data.bestEpoch}`,
        position: 'insideEndTop',
        color: PALETTE.ink,
        fontSize: 12,
      },
      data: [{ xAxis: data.bestEpoch }],
    };
  }
  return {
    id: 'loss',
    title: 'Loss per epoch',
    caption: [
      `${data.lossName} on the training rows${validated ? ' and on the held-out rows' : ''}, after each epoch${logScale ? ' (logarithmic scale)' : ''}.`,
      data.stoppedEarly && `Early stopping ended training after ${data.epochs} of ${data.configuredEpochs} epochs.`,
      kept && `The weights of epoch ${data.bestEpoch}, the best one, were kept.`,
      ENGINE_NOTES[data.engine]?.(data.measured),
    ]
      .filter(Boolean)
      .join(' '),
    width: layout.width,
    height: layout.height,
    option: {
      legend: layout.legend(),
      grid: layout.grid(),
      xAxis: valueAxis('Epoch', { nameGap: 30, min: data.epochs > 10 ? 0 : 1, minInterval: 1, scale: false }),
      yAxis: valueAxis(layout.name(data.lossName, data.lossShortName), {
        nameGap: layout.yNameGap,
        ...(logScale && { type: 'log' }),
        ...(flat && { scale: false, min: 0 }),
        ...(!logScale && tickableBounds(history.flatMap((h) => [h.loss, h.valLoss]), { fromZero: flat })),
      }),
      series,
    },
  };
}

/** Evenly thinned epochs (at most MAX_LINE_POINTS), keeping the first, the last and `keep`. */
function thin(history, keep) {
  if (history.length <= MAX_LINE_POINTS) return history;
  const step = history.length / MAX_LINE_POINTS;
  const picked = new Set(Array.from({ length: MAX_LINE_POINTS }, (_, i) => Math.floor(i * step)));
  picked.add(history.length - 1);
  const keptAt = history.findIndex((h) => h.epoch === keep);
  if (keptAt >= 0) picked.add(keptAt);
  return [...picked].sort((a, b) => a - b).map((i) => history[i]);
}

/**
 * The narrowest span a value axis is given. ECharts rounds tick values to at most 20 decimals and
 * fails an assertion (a bare Error, no message) on an axis whose span that cannot resolve, such as
 * an exact fit's validation losses of 1e-22. Wider than float resolution around large values too,
 * where ticks a few units in the last place apart would not be distinct numbers.
 */
const MIN_AXIS_SPAN = 1e-12;
function narrowestSpan(lo, hi) {
  return Math.max(MIN_AXIS_SPAN, 1e-9 * Math.max(Math.abs(lo), Math.abs(hi)));
}

/**
 * Round bounds around [lo, hi] on a 1-2-5 step, so that the axis ends on labelled ticks. A single
 * value gets an axis around it, and data narrower than an axis can tick get the narrowest it can.
 */
function niceExtent(lo, hi) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  const range = Math.max(hi - lo || Math.abs(hi) || 1, narrowestSpan(lo, hi));
  if (hi - lo < range / 5) {
    const centre = (lo + hi) / 2;
    // Padded evenly, except that data of 0 or more keep an axis of 0 or more.
    [lo, hi] = [lo >= 0 ? Math.max(0, centre - range / 2) : centre - range / 2, centre + range / 2];
  }
  const raw = range / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/**
 * Bounds for a value axis ECharts would otherwise fit to `values` itself: none (ECharts' own
 * fitting) when their span can be ticked, else a nice extent wide enough. `fromZero` when the axis
 * starts at 0 (loss, importance), so the span is measured from there.
 */
function tickableBounds(values, { fromZero = false } = {}) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return {};
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (fromZero) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
  if (hi - lo >= narrowestSpan(lo, hi)) return {};
  const [min, max] = niceExtent(lo, hi);
  return { min, max, scale: false };
}

/** A filled polygon in data coordinates (an interval band), as an ECharts custom series. */
function band(name, points, color) {
  return {
    name,
    type: 'custom',
    silent: true,
    z: 1,
    itemStyle: { color },
    clip: true,
    encode: { x: 0, y: 1 },
    // The points are the data, so that the axes' extents include the band; one polygon draws them all.
    renderItem: (params, api) =>
      params.dataIndex === 0 ? { type: 'polygon', shape: { points: points.map((p) => api.coord(p)) }, style: { fill: color } } : null,
    data: points,
  };
}

/** The dashed y = x line from `from` to `to`: where a perfect model's points would lie. */
function identityLine(name, from, to) {
  return {
    name,
    type: 'line',
    showSymbol: false,
    silent: true,
    lineStyle: { color: PALETTE.grey, type: 'dashed', width: 1.5 },
    itemStyle: { color: PALETTE.grey },
    data: [
      [from, from],
      [to, to],
    ],
  };
}

/** Held-out predictions against actual values, the diagonal, and the interval around it. */
function predictedVsActualChart(data, layout) {
  const { points, interval, measured } = data.diagnostics;
  const pairs = points.actual.map((a, i) => [a, points.predicted[i]]);
  // Finite values only: a model whose arithmetic overflowed reports null for a prediction.
  const all = [...points.actual, ...points.predicted].filter(Number.isFinite);
  const [x0, x1] = niceExtent(Math.min(...all), Math.max(...all));
  const h = interval.halfWidth;
  const series = [];
  if (Number.isFinite(h)) {
    series.push(
      band(
        `${formatPercent(interval.target)} interval (±${formatNumber(h)})`,
        [
          [x0, x0 - h],
          [x1, x1 - h],
          [x1, x1 + h],
          [x0, x0 + h],
        ],
        'rgba(86,180,233,0.22)',
      ),
    );
  }
  series.push(
    identityLine('Perfect prediction', x0, x1),
    {
      name: `${data.measured.Kind} row`,
      type: 'scatter',
      // Many points go into one SVG path: a few bytes each instead of an element each.
      large: true,
      largeThreshold: 300,
      symbolSize: pairs.length > 500 ? 4 : 6,
      itemStyle: { color: PALETTE.blue, opacity: 0.65 },
      data: pairs,
    },
  );
  const sampled = points.actual.length < measured ? ` (${points.actual.length} of ${measured} shown)` : '';
  return {
    id: 'predicted-actual',
    title: 'Predicted against actual',
    caption: `Each point is a ${data.measured.kind} row${sampled}: its actual ${data.target} across, the model's prediction up. Points on the dashed line are exact; the band is the prediction interval.`,
    width: layout.width,
    height: layout.height + (layout.compact ? 40 : 0),
    option: {
      legend: layout.stackedLegend(),
      grid: layout.gridBelow(series.length),
      xAxis: valueAxis(`Actual ${data.target}`, { nameGap: 30, min: x0, max: x1, scale: false }),
      yAxis: valueAxis(`Predicted ${data.target}`, { nameGap: layout.yNameGap, min: x0, max: x1, scale: false }),
      series,
    },
  };
}

/** Held-out forecast and actual series over the held-out windows, with the interval. */
function forecastChart(data, layout) {
  const { points, interval, measured } = data.diagnostics;
  const { x, axis } = forecastAxis(data, layout);
  const h = interval?.halfWidth;
  const series = [];
  if (Number.isFinite(h)) {
    const upper = x.map((xi, i) => [xi, points.predicted[i] + h]);
    const lower = x.map((xi, i) => [xi, points.predicted[i] - h]).reverse();
    series.push(band(`${formatPercent(interval.target)} interval (±${formatNumber(h)})`, [...upper, ...lower], 'rgba(86,180,233,0.25)'));
  }
  const dots = x.length <= 120;
  series.push(
    {
      name: `Actual ${data.target}`,
      type: 'line',
      showSymbol: dots,
      symbol: 'circle',
      symbolSize: 5,
      lineStyle: { width: 2, color: PALETTE.ink },
      itemStyle: { color: PALETTE.ink },
      data: x.map((xi, i) => [xi, points.actual[i]]),
    },
    {
      name: 'Forecast (one step ahead)',
      type: 'line',
      showSymbol: dots,
      symbol: 'triangle',
      symbolSize: 6,
      lineStyle: { width: 2, type: 'dashed', color: PALETTE.vermillion },
      itemStyle: { color: PALETTE.vermillion },
      data: x.map((xi, i) => [xi, points.predicted[i]]),
    },
  );
  const sampled = points.actual.length < measured ? ` (the latest ${points.actual.length} of ${measured})` : '';
  return {
    id: 'forecast',
    title: 'Forecast against actual',
    caption: `${data.measured.heldOut ? `The held-out windows${sampled} are the most recent records` : `The training windows${sampled} (none were held out)`}: each forecast uses the ${data.lookback} records before it. The band is the prediction interval around each forecast.`,
    width: layout.width,
    height: layout.height + (layout.compact ? 40 : 0),
    option: {
      legend: layout.stackedLegend(),
      grid: layout.gridBelow(series.length),
      xAxis: axis,
      yAxis: valueAxis(data.target, {
        nameGap: layout.yNameGap,
        ...tickableBounds([...points.actual, ...points.predicted.flatMap((p) => (Number.isFinite(h) ? [p - h, p + h] : [p]))]),
      }),
      series,
    },
  };
}

const HOUR_MS = 3_600_000;
/** Tick steps of a date axis: whole hours, days and weeks, so every tick falls on a UTC midnight past a day. */
const DATE_STEPS_MS = [1, 2, 3, 6, 12, 24, 48, 7 * 24, 14 * 24, 28 * 24, 91 * 24, 182 * 24, 364 * 24].map((h) => h * HOUR_MS);

/**
 * A value axis over instants (ms since 1970) with ticks every whole step (a value axis puts them at
 * multiples of `interval`, so on UTC day boundaries), few enough for their labels to fit.
 */
function dateAxis(name, values, layout) {
  const span = Math.max(...values) - Math.min(...values);
  const labels = layout.compact ? 3 : 6;
  const interval = DATE_STEPS_MS.find((step) => span / step <= labels) ?? DATE_STEPS_MS.at(-1);
  // A single instant spans nothing, and ECharts loops on ticks across a zero-width axis: a step either side.
  const bounds = span > 0 ? { min: 'dataMin', max: 'dataMax' } : { min: values[0] - interval, max: values[0] + interval };
  const axis = valueAxis(name, { nameGap: 30, ...bounds, interval });
  axis.axisLabel = { ...axis.axisLabel, formatter: dateLabeller(span), showMinLabel: false, showMaxLabel: false, hideOverlap: true };
  return axis;
}

/**
 * Where the forecast chart puts each held-out point: at its record's time (the series' time field,
 * kept with the version since s3db-ml stored it), or else at its record number in time order.
 */
function forecastAxis(data, layout) {
  const { points } = data.diagnostics;
  const time = points.time;
  if (time && time.values.length === points.index.length) {
    const axis = time.dates ? dateAxis(time.field, time.values, layout) : valueAxis(time.field, { nameGap: 30 });
    return { x: time.values, axis };
  }
  // The held-out windows follow the training windows; window i predicts record i + lookback.
  const first = data.trainSamples + data.lookback + 1;
  return {
    x: points.index.map((i) => first + i),
    axis: valueAxis(layout.name('Record number (time order)', 'Record (time order)'), { nameGap: 30, minInterval: 1 }),
  };
}

/** Residuals (actual − predicted) of the sampled held-out rows, with the interval's edges. */
function residualChart(data, layout) {
  const { points, interval, measured } = data.diagnostics;
  const residuals = points.actual.map((a, i) => a - points.predicted[i]).filter(Number.isFinite);
  const h = interval.halfWidth;
  const extent = niceExtent(0, Math.max(...residuals.map(Math.abs), Number.isFinite(h) ? h * 1.1 : 0) || 1)[1];
  const bins = Math.min(40, Math.max(8, Math.round(Math.sqrt(residuals.length) * 1.5)));
  const width = (2 * extent) / bins;
  const counts = new Array(bins).fill(0);
  for (const r of residuals) counts[Math.min(bins - 1, Math.floor((r + extent) / width))]++;
  const bars = counts.map((count, b) => [-extent + b * width, -extent + (b + 1) * width, count]);
  const covered = `The ${formatPercent(interval.target)} interval (±${formatNumber(h)}) covered ${formatPercent(interval.empirical)} of the ${measured} ${data.measured.kind} rows`;
  const series = [
    {
      name: `${data.measured.Kind} rows`,
      type: 'custom',
      itemStyle: { color: PALETTE.blue },
      renderItem: (params, api) => {
        const [b0, b1, count] = bars[params.dataIndex];
        const [left, top] = api.coord([b0, count]);
        const [right, bottom] = api.coord([b1, 0]);
        return { type: 'rect', shape: { x: left + 0.5, y: top, width: Math.max(0.5, right - left - 1), height: bottom - top }, style: { fill: PALETTE.blue } };
      },
      encode: { x: [0, 1], y: 2 },
      data: bars,
    },
  ];
  if (Number.isFinite(h)) {
    series[0].markLine = {
      symbol: 'none',
      silent: true,
      lineStyle: { color: PALETTE.vermillion, type: 'dashed', width: 1.5 },
      label: { color: PALETTE.vermillion, fontSize: 12, formatter: (p) => (p.value < 0 ? `−${formatNumber(h)}` : `+${formatNumber(h)}`) },
      data: [{ xAxis: -h }, { xAxis: h }],
    };
  }
  return {
    id: 'residuals',
    title: 'Residuals',
    caption: `${covered} (the dashed lines mark its edges). Residual = actual − predicted, in ${data.target} units.`,
    width: layout.width,
    height: layout.height,
    option: {
      title: {
        text: layout.compact
          ? `${formatPercent(interval.empirical)} inside the ${formatPercent(interval.target)} interval`
          : `${formatPercent(interval.empirical)} of ${data.measured.kind} rows inside the ${formatPercent(interval.target)} interval`,
        left: 'center',
        top: 6,
        textStyle: { fontSize: layout.compact ? 12 : 13, fontWeight: 'bold', color: PALETTE.ink },
      },
      grid: layout.grid({ top: 44 }),
      xAxis: valueAxis(layout.name(`Residual (actual − predicted ${data.target})`, 'Actual − predicted'), { nameGap: 30, min: -extent, max: extent, scale: false }),
      yAxis: valueAxis('Rows', { nameGap: layout.yNameGap - 6, minInterval: 1, scale: false }),
      series,
    },
  };
}

/** The held-out confusion matrix as a heat map of counts (rows: actual, columns: predicted). */
function confusionChart(data, layout) {
  const { labels, matrix } = data.classification;
  const k = labels.length;
  const max = Math.max(1, ...matrix.flat());
  const cells = [];
  matrix.forEach((row, a) => {
    const rowTotal = row.reduce((s, v) => s + v, 0);
    row.forEach((count, p) => {
      cells.push({
        value: [p, a, count],
        label: { color: count / max > 0.5 ? '#FFFFFF' : PALETTE.ink },
        share: rowTotal > 0 ? count / rowTotal : 0,
      });
    });
  });
  const side = Math.min(layout.compact ? 420 : 640, Math.max(layout.compact ? 260 : 300, 90 + k * (layout.compact ? 36 : 48)));
  const fontSize = k > 12 || (layout.compact && k > 6) ? 10 : layout.compact ? 12 : 13;
  return {
    id: 'confusion',
    title: 'Confusion matrix',
    caption: `${data.measured.Kind} rows by actual label (rows) and predicted label (columns); the diagonal is right. Each cell shows the count and its share of the actual label's rows.`,
    width: layout.width,
    height: side,
    option: {
      grid: layout.compact ? { left: 76, right: 52, top: 16, bottom: 56 } : { left: 96, right: 84, top: 20, bottom: 64 },
      xAxis: {
        type: 'category',
        data: labels,
        name: 'Predicted label',
        nameLocation: 'middle',
        nameGap: 36,
        nameTextStyle: AXIS_NAME,
        axisLabel: { ...AXIS_TEXT, interval: 0, rotate: k > (layout.compact ? 4 : 6) ? 30 : 0, width: 72, overflow: 'truncate' },
        splitArea: { show: false },
      },
      yAxis: {
        type: 'category',
        data: labels,
        inverse: true,
        name: 'Actual label',
        nameLocation: 'middle',
        nameGap: layout.compact ? 58 : 72,
        nameTextStyle: AXIS_NAME,
        axisLabel: { ...AXIS_TEXT, interval: 0, width: layout.compact ? 50 : 64, overflow: 'truncate' },
      },
      visualMap: {
        min: 0,
        max,
        calculable: false,
        orient: 'vertical',
        right: layout.compact ? 2 : 8,
        top: 'middle',
        itemWidth: layout.compact ? 12 : 20,
        itemHeight: Math.min(220, side - 120),
        text: [formatNumber(max), '0'],
        textStyle: { ...AXIS_TEXT },
        inRange: { color: HEAT },
      },
      series: [
        {
          name: 'Rows',
          type: 'heatmap',
          data: cells,
          label: {
            show: true,
            fontSize,
            textBorderWidth: 0,
            formatter: (p) => (k > 8 ? `${p.value[2]}` : `${p.value[2]}\n${formatPercent(p.data.share)}`),
          },
          itemStyle: { borderColor: '#FFFFFF', borderWidth: 2 },
        },
      ],
    },
  };
}

/** Precision, recall and F1 per label, grouped. */
function perLabelChart(data, layout) {
  const rows = data.classification.perLabel;
  const metric = (name, key, color, decal) => ({
    name,
    type: 'bar',
    barMaxWidth: 28,
    itemStyle: { color, decal },
    label: rows.length <= (layout.compact ? 3 : 6) ? { show: true, position: 'top', fontSize: 11, color: PALETTE.ink, formatter: (p) => formatFixed(p.value, 2) } : undefined,
    data: rows.map((r) => r[key]),
  });
  return {
    id: 'per-label',
    title: 'Precision, recall and F1 per label',
    caption: 'Precision: of the rows predicted as the label, the share that were. Recall: of the rows that were, the share found. F1: their harmonic mean.',
    width: layout.width,
    height: layout.height,
    option: {
      legend: layout.legend(),
      grid: layout.grid({}, 1.3),
      xAxis: {
        type: 'category',
        data: rows.map((r) => r.label),
        name: 'Label',
        nameLocation: 'middle',
        nameGap: 32,
        nameTextStyle: AXIS_NAME,
        axisLabel: { ...AXIS_TEXT, interval: 0, rotate: rows.length > (layout.compact ? 4 : 6) ? 30 : 0, width: 72, overflow: 'truncate' },
      },
      yAxis: valueAxis(layout.name(`Score (${data.measured.kind} rows)`, 'Score'), { nameGap: layout.yNameGap - 6, min: 0, max: 1, scale: false }),
      series: [
        metric('Precision', 'precision', PALETTE.blue),
        metric('Recall', 'recall', PALETTE.orange),
        metric('F1', 'f1', PALETTE.green),
      ],
    },
  };
}

/** Reliability diagram: per confidence bin, the share right, before and after temperature scaling. */
function reliabilityChart(data, layout) {
  const r = data.diagnostics.reliability;
  const points = (bins) => bins.filter((b) => b.count > 0).map((b) => [b.confidence, b.accuracy, b.count]);
  // Marker area follows the bin's rows: a bin of two rows says little, and should look it.
  const most = Math.max(1, ...r.before.map((b) => b.count), ...(r.after ?? []).map((b) => b.count));
  const sized = (base) => (value) => base * (0.45 + 0.85 * Math.sqrt(value[2] / most));
  const series = [
    identityLine('Perfectly calibrated', 0, 1),
    {
      name: `Network's probabilities (ECE ${formatPercent(r.eceBefore)})`,
      type: 'line',
      symbol: 'circle',
      symbolSize: sized(11),
      lineStyle: { width: 2, color: PALETTE.vermillion },
      itemStyle: { color: PALETTE.vermillion },
      data: points(r.before),
    },
  ];
  if (r.after) {
    series.push({
      name: `After temperature scaling, T = ${formatFixed(r.temperature, 2)} (ECE ${formatPercent(r.eceAfter)})`,
      type: 'line',
      symbol: 'diamond',
      symbolSize: sized(13),
      lineStyle: { width: 2, type: 'dashed', color: PALETTE.blue },
      itemStyle: { color: PALETTE.blue },
      data: points(r.after),
    });
  }
  return {
    id: 'reliability',
    title: 'Calibration (reliability diagram)',
    caption: r.after
      ? `${data.measured.Kind} rows grouped by the probability the model gave its predicted label. A calibrated model's points lie on the diagonal: of the rows it is 80% sure of, 80% are right. Larger markers hold more rows; ECE is the mean gap, weighted by rows. Predictions use the scaled probabilities.`
      : `${data.measured.Kind} rows grouped by the probability the model gave its predicted label. A calibrated model's points lie on the diagonal. ECE is the mean gap, weighted by rows.${data.head === 'labels' ? ' No rows were held out, so no temperature was fitted.' : ''}`,
    width: layout.width,
    height: layout.height + (layout.compact ? 60 : 40),
    option: {
      // Above the plot, one entry a line: points may fall anywhere in a model's square.
      legend: layout.legend({ orient: 'vertical', left: layout.compact ? 8 : 64, itemGap: 6 }),
      grid: layout.grid({ top: 24 + 20 * series.length }),
      xAxis: valueAxis(layout.name('Confidence (probability of the predicted label)', 'Confidence'), { nameGap: 30, min: 0, max: 1, scale: false }),
      yAxis: valueAxis('Share predicted right', { nameGap: layout.yNameGap - 6, min: 0, max: 1, scale: false }),
      series,
    },
  };
}

/** Feature importance as horizontal bars, largest on top. */
function importanceChart(data, layout) {
  const rows = data.importance.slice(0, 30);
  return {
    id: 'importance',
    title: 'Feature importance',
    caption: data.importanceMetric
      ? `Permutation importance: how much the ${data.importanceMetric} on the ${data.measured.kind} rows gets worse when the feature's values are shuffled. Longer bars matter more.`
      : 'How much each feature moves the predictions; longer bars matter more.',
    width: layout.width,
    height: Math.max(220, 80 + rows.length * 26),
    option: {
      grid: layout.grid({ left: layout.compact ? 100 : 140, top: 16, bottom: 48 }),
      xAxis: valueAxis('Importance', { nameGap: 30, min: 0, scale: false, ...tickableBounds(rows.map((r) => r.importance), { fromZero: true }) }),
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map((r) => r.feature),
        axisLabel: { ...AXIS_TEXT, interval: 0, width: layout.compact ? 88 : 120, overflow: 'truncate' },
      },
      series: [{ name: 'Importance', type: 'bar', barMaxWidth: 22, itemStyle: { color: PALETTE.blue }, data: rows.map((r) => r.importance) }],
    },
  };
}
