// Renders chart descriptions (ECharts options) to standalone SVG strings with Apache ECharts'
// server-side renderer: no DOM, no browser, no script in the output. ECharts is imported on the
// first report only, so applications that never draw one don't load it.

import { MLError } from '../errors.js';

/** One import for the whole process, started by the first report. */
let echartsModule = null;
function loadECharts() {
  echartsModule ??= import('echarts');
  return echartsModule;
}

/** Text that reads on screens and in print; every chart uses it. */
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif';

/**
 * Draws each `{ id, option, width, height }` to an SVG string. The SVGs may share a page, so their
 * internal ids are made unique per chart and `variant`, and ECharts' hover styles (a `<style>`
 * block that would apply page-wide, for an interaction a static page doesn't have) are left out.
 * Each SVG is labelled by the element `${id}-title`.
 * @returns {Promise<string[]>}
 */
export async function drawCharts(charts, variant = 'wide') {
  const echarts = await loadECharts();
  return charts.map((chart) => {
    const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: chart.width, height: chart.height });
    try {
      instance.setOption({ animation: false, textStyle: { fontFamily: FONT_FAMILY }, ...chart.option });
      return standalone(instance.renderToSVGString(), chart.id, variant);
    } catch (error) {
      throw undrawable(chart, variant, error);
    } finally {
      instance.dispose();
    }
  });
}

/** An ECharts SVG made safe to sit beside others in one document. */
function standalone(svg, id, variant) {
  return svg
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/ class="zr\d+-cls-\d+"/g, '')
    .replace(/zr\d+-c(\d+)/g, `${id}-${variant}-clip$1`)
    .replace('<svg ', `<svg role="img" aria-labelledby="${id}-title" preserveAspectRatio="xMidYMid meet" `);
}

/**
 * What report() rejects with when ECharts cannot draw a chart: a named error saying which chart,
 * since ECharts' own assertions are bare Errors with no message.
 */
function undrawable(chart, variant, error) {
  const reason = error?.message ? error.message : `ECharts rejected the chart's options (${error?.name ?? 'an internal assertion'} without a message)`;
  const failure = new MLError(`The report's "${chart.id}" chart (${variant}) could not be drawn: ${reason}`, {
    chart: chart.id,
    variant,
    statusCode: 500,
    originalError: error?.stack?.split('\n').slice(0, 3).join(' ') ?? String(error),
  });
  failure.cause = error;
  return failure;
}
