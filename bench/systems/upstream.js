// The upstream s3db.js MLPlugin on pure @tensorflow/tfjs, installed in bench/node_modules under
// the alias '@tensorflow/tfjs-node' (the name s3db.js loads; the real tfjs-node downloads
// libtensorflow at install time). s3db.js itself comes from the root node_modules, the same copy
// s3db-ml runs on. Start with NODE_PATH=bench/node_modules for s3db.js's require() of that name.
import { createRequire, register } from 'node:module';
import { runChild } from './child.js';

register('./tfjs-alias-hooks.js', import.meta.url);
// Imported after the hook is registered, so s3db.js's import() of tfjs goes through it.
const { MLPlugin } = await import('s3db.js');
const tf = createRequire(new URL('../package.json', import.meta.url))('@tensorflow/tfjs-node');

await runChild({
  MLPlugin,
  // The plugin's own log level; models still print tfjs summaries, which child.js steps around.
  pluginOptions: { logLevel: 'silent' },
  describe: () => ({ system: 'upstream', tfjs: tf.version.tfjs, tf_backend: tf.getBackend() }),
});
