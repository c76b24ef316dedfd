// Loads the compiled addon. Its absence is reported as a named error on first use, not at import,
// so that `import { MLPlugin } from 's3db-ml'` never crashes an application outright.
import { createRequire } from 'node:module';
import { ComputeBackendUnavailableError } from './errors.js';

const require = createRequire(import.meta.url);
let binding;
let loadError;

export function native() {
  if (binding) return binding;
  if (!loadError) {
    try {
      binding = require('../binding.cjs');
      return binding;
    } catch (error) {
      loadError = error;
    }
  }
  throw new ComputeBackendUnavailableError(
    `The s3db-ml native addon could not be loaded: ${loadError.message}. Build it with \`npm run build\` (needs Rust), or install the prebuilt package for this platform.`,
    { originalError: loadError.message },
  );
}
