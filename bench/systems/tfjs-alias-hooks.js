// ESM resolve hook for the upstream child. s3db.js lives in the root node_modules and does
// `import('@tensorflow/tfjs-node')`, which Node resolves from s3db.js's own folder, never from
// bench/node_modules. This sends every '@tensorflow/*' import there instead, so TensorFlow.js stays
// a benchmark-only dependency. (Its `require()` of the same name is served by NODE_PATH.)
const BENCH_PACKAGE = new URL('../package.json', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@tensorflow/')) return nextResolve(specifier, { ...context, parentURL: BENCH_PACKAGE });
  return nextResolve(specifier, context);
}
