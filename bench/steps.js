// Where s3db-ml's training time goes: native fit time per optimizer step at growing batch sizes,
// for the network and LSTM workloads. If a step of 256 rows costs about what a step of 32 costs,
// the time is a fixed cost per step (op dispatch, allocation, optimizer bookkeeping), not arithmetic.
//   node bench/steps.js [--epochs=N]
import { NeuralNetworkModel, TimeSeriesModel } from '../index.js';
import { networkRows, seriesRows } from './data.js';
import { WORKLOADS } from './workloads.js';

const epochs = Number(process.argv.find((a) => a.startsWith('--epochs='))?.split('=')[1] ?? 5);
const BATCHES = (process.env.BATCHES ?? "32,256,2048").split(",").map(Number);

const cases = [
  { key: 'neural-network', Model: NeuralNetworkModel, rows: networkRows(10_000), windows: (n) => n },
  { key: 'lstm', Model: TimeSeriesModel, rows: seriesRows(1000), windows: (n, c) => n - c.lookback },
];

console.log('| workload | batch | steps | native fit | µs per step | µs per row |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const { key, Model, rows, windows } of cases) {
  const workload = WORKLOADS.find((w) => w.key === key);
  for (const batchSize of BATCHES) {
    const modelConfig = { ...workload.modelConfig, epochs, batchSize };
    const model = new Model({ name: key, type: workload.type, resource: 'r', features: workload.features, target: workload.target, timeField: workload.timeField, modelConfig, backend: 'cpu' });
    const report = await model.train(rows);
    const trainRows = report.trainSamples ?? Math.floor(windows(rows.length, modelConfig) * 0.8);
    const steps = Math.ceil(trainRows / batchSize) * epochs;
    const us = (report.durationMs * 1000) / steps;
    console.log(`| ${key} | ${batchSize} | ${steps} | ${report.durationMs.toFixed(0)} ms | ${us.toFixed(0)} | ${(us / batchSize).toFixed(1)} |`);
  }
}
