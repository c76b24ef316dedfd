// `ml.report(name, { version, format })`: the training report of one model version, as a
// self-contained HTML page or as its charts alone (SVG). The version's data comes from the model
// serving in this process when that is the version asked for, otherwise from storage (read into a
// scratch copy of the model, so the serving one is untouched).

import { readFileSync } from 'node:fs';
import { DataValidationError, ModelNotTrainedError } from '../errors.js';
import { checkVersionNumber, versionNotFound } from '../version-arguments.js';
import { reportCharts } from './charts.js';
import { drawCharts } from './draw.js';
import { renderPage } from './page.js';
import { reportData } from './report-data.js';

const FORMATS = ['html', 'svg'];

let productVersion = null;
function ourVersion() {
  productVersion ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  return productVersion;
}

/**
 * @param {import('../plugin.js').MLPlugin} plugin
 * @param {string} modelName
 * @param {{ version?: number, format?: 'html'|'svg' }} options
 * @returns {Promise<string | Array<{ id: string, title: string, caption: string, svg: string }>>}
 */
export async function modelReport(plugin, modelName, { version = null, format = 'html' } = {}) {
  const model = plugin._model(modelName);
  if (!FORMATS.includes(format)) {
    throw new DataValidationError(`report format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`, {
      modelName,
      format,
    });
  }
  const data = version === null || version === undefined ? await servingData(plugin, modelName, model) : await storedData(plugin, modelName, model, version);
  const charts = reportCharts(data, 'wide');
  const svgs = await drawCharts(charts, 'wide');
  const drawn = charts.map(({ id, title, caption }, i) => ({ id, title, caption, svg: svgs[i] }));
  if (format === 'svg') return drawn;
  // The page also carries each chart drawn for a phone's width, shown there instead.
  const compact = await drawCharts(reportCharts(data, 'compact'), 'compact');
  const both = drawn.map((chart, i) => ({ ...chart, compactSvg: compact[i] }));
  return renderPage(data, both, { generatedAt: new Date().toISOString(), productVersion: ourVersion() });
}

/** The version serving in this process (loaded from storage first if need be). */
async function servingData(plugin, modelName, model) {
  await plugin._versions.ensureLoaded(modelName);
  if (!model.isTrained) {
    throw new ModelNotTrainedError(`Model "${modelName}" is not trained yet, so it has no report`, { modelName, model: modelName });
  }
  const version = (await plugin._versions.loadAttempts.get(modelName)) || null;
  const record = version ? await plugin._store.record(modelName, version).catch(() => null) : null;
  return reportData(model, { modelName, version, record });
}

/** A stored version: from memory when it is the one loaded here, else read into a scratch model. */
async function storedData(plugin, modelName, model, version) {
  checkVersionNumber(modelName, version);
  if (!plugin.database?.client) throw versionNotFound(modelName, version);
  const record = await plugin._versions.requireStored(modelName, version);
  const loaded = await (plugin._versions.loadAttempts.get(modelName) ?? Promise.resolve(0));
  if (loaded === version && model.isTrained) return reportData(model, { modelName, version, record });
  const scratch = model.blankCopy();
  try {
    await plugin._store.loadInto(modelName, scratch, version);
    return reportData(scratch, { modelName, version, record });
  } finally {
    scratch.dispose();
  }
}
