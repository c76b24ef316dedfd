// Compiled by __test__/types.spec.js with `tsc --noEmit`: the public types must describe real use.
import { Database } from 's3db.js';
import {
  MLPlugin,
  ModelNotTrainedError,
  ComputeBackendUnavailableError,
  TensorFlowDependencyError,
  ModelStorageError,
  backendInfo,
  TimeSeriesModel,
  BaseModel,
  type ModelExport,
  type RegressionPrediction,
  type ReportChart,
  type Explanation,
  type FeatureImportance,
  type TrainResult,
} from '../../index.js';

/** Compiles only where `T` is not `any` (an unresolved import makes types silently `any`). */
type NotAny<T> = 0 extends 1 & T ? never : T;

async function main(): Promise<void> {
  const ml = new MLPlugin({
    backend: 'auto',
    minTrainingSamples: 20,
    storage: { multipartThreshold: 16 * 2 ** 20, partSize: 8 * 2 ** 20 },
    readConcurrency: 64,
    models: {
      price: { type: 'regression', resource: 'products', features: ['cost'], target: 'price', modelConfig: { polynomial: 2 } },
      house: {
        type: 'regression',
        resource: 'houses',
        features: ['rooms', 'city', 'listedAt'],
        target: 'price',
        modelConfig: { featureTypes: { listedAt: 'date', city: 'category' }, impute: { rooms: 'median', city: 'error' } },
      },
      spam: { type: 'classification', resource: 'emails', features: ['links'], target: 'label', filter: (r) => r.links !== 0 },
      sales: { type: 'timeseries', resource: 'sales', features: ['t'], target: 'y', timeField: 'day', modelConfig: { lookback: 7 } },
      net: {
        type: 'neural-network',
        resource: 'data',
        features: ['a', 'b'],
        target: 'y',
        modelConfig: { layers: [{ units: 8, batchNormalization: true }], loss: 'meanSquaredError', earlyStopping: { patience: 3 } },
      },
    },
  });
  const db = new Database({ connectionString: 'memory://bucket/app', plugins: [ml] });
  await db.connect();
  await db.usePlugin(new MLPlugin());
  const controller = new AbortController();
  const result = await ml.train('price', { signal: controller.signal, onProgress: (p) => console.log(p.phase === 'train' ? p.epoch : `${p.read}/${p.total}`) });
  if (!('skipped' in result)) {
    const trained: TrainResult = result;
    console.log(trained.read?.mode, trained.read?.fetched);
    await ml.train('price', { full: true });
    console.log(trained.loss.toFixed(3), trained.stoppedEarly);
    // The plugin's train() says which version it stored and whether it serves.
    const stored: number | undefined = trained.version;
    const serving: boolean | undefined = trained.deployed;
    console.log(stored, serving);
  }
  const page: string = await ml.report('price', { version: 2 });
  const charts: ReportChart[] = await ml.report('price', { format: 'svg' });
  const fromResource: string = await db.resources.products.ml.report('price');
  console.log(page.length, charts.map((c) => `${c.id}: ${c.title}`), fromResource.length);
  const p = (await ml.predict('price', { cost: 1 })) as RegressionPrediction;
  console.log(p.interval[0] < p.interval[1]);
  for (const warning of p.warnings ?? []) console.log(warning.feature, warning.kind === 'unseen_category');
  const city = ml.getModelStats('house').preprocessing?.city;
  if (city?.kind === 'category') console.log(city.categories?.length, city.other, city.missing);
  const why: Explanation = await ml.explain('price', { cost: 1 });
  console.log(why.baseline + Object.values(why.contributions).reduce((a, b) => a + b, 0), why.label, why.contributionsByStep?.length);
  const ranked: FeatureImportance[] = await ml.featureImportance('price');
  console.log(ranked[0]?.feature, ml.getModelStats('price').importance?.metric);
  console.log(ml.getStats().backend?.backend, ml.models.net.parameterCount);
  if (!('skipped' in result)) console.log(result.warnings.join('; '), result.engine === 'least-squares');
  const exported = await ml.exportModel('spam');
  if (exported) console.log(exported.classes?.join(', '), exported.lookback, exported.polynomial);
  // The format selects the type, and importModel takes back whatever exportModel gave.
  const json: ModelExport | null = await ml.exportModel('spam', { format: 'json' });
  const file: Buffer | null = await ml.exportModel('spam', { format: 'safetensors' });
  const format = process.env.FORMAT === 'safetensors' ? 'safetensors' : 'json';
  const either: ModelExport | Buffer | null = await ml.exportModel('spam', { format });
  if (exported) await ml.importModel('spam', exported);
  if (json) await ml.importModel('spam', json);
  if (file) await ml.importModel('spam', file);
  if (either) await ml.importModel('spam', either);
  await ml.importModel('spam', JSON.parse('{}') as Record<string, unknown>);
  const products = await db.createResource({ name: 'products', attributes: { cost: 'number', price: 'number' } });
  console.log(products.listModels().length, (await products.predict({ cost: 1 }, 'price')).confidence);
  await products.trainModel('price', { onProgress: (progress) => console.log(progress.epoch) });
  // A time series' resource predicts from a window of records; the versions API has real shapes.
  console.log((await products.ml.predict([{ cost: 1 }, { cost: 2 }], 'price')).prediction, (await products.predict([{ cost: 1 }], 'price')).confidence);
  const listed = await products.ml.versions('price');
  const rolled = await products.ml.rollback('price');
  const compared = await products.ml.compare('price', 1, 2);
  const shared: ModelExport | null = await products.ml.export('price');
  if (shared) await products.ml.import('price', shared);
  console.log(listed[0]?.isCurrent, rolled.currentVersion, compared.improvement.loss);
  const trainings = await ml.getTrainingHistory('price');
  const servedVersions: number[] = (trainings?.history ?? []).filter((entry) => entry.deployed !== false).map((entry) => entry.version);
  console.log(servedVersions);
  // A model's own counters; what it prepares and measures lives beside them.
  const counters = ml.models.price.stats;
  const trainedAt: string | null = counters.trainedAt;
  console.log(trainedAt, counters.predictions, ml.models.price.preprocessing);
  const error: unknown = new ComputeBackendUnavailableError('x');
  if (error instanceof TensorFlowDependencyError || error instanceof ModelNotTrainedError) console.log('caught');
  if (error instanceof ModelStorageError && !error.notFound) console.log(error.s3Code, error.httpStatus);
  if (error instanceof ComputeBackendUnavailableError) console.log(error.platform, error.supportedPlatforms?.join(', '));

  // The native layer's types resolve: backendInfo() is a BackendInfo, not `any`.
  const info: NotAny<Awaited<ReturnType<typeof backendInfo>>> = await backendInfo('cpu');
  console.log(info.backend.toUpperCase(), info.reason);
  // A time series predicts from a sequence of records and is still a BaseModel.
  const series = ml.models.sales as TimeSeriesModel;
  const base: BaseModel<Record<string, unknown>[]> = series;
  const forecast: RegressionPrediction = await series.predict([{ t: 1, y: 2, day: 1 }]);
  console.log(forecast.interval, base.isTrained);
}

void main;
