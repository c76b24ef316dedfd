// Loads the compiled addon. Its absence is reported as a named error on first use, not at import,
// so that `import { MLPlugin } from 's3db-ml'` never crashes an application outright.
import { createRequire } from 'node:module';
import { ComputeBackendUnavailableError } from './errors.js';
import { describeLoadFailure } from './platform.js';

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
  const { message, platform, supportedPlatforms, suggestion } = describeLoadFailure(loadError);
  throw new ComputeBackendUnavailableError(message, {
    platform,
    supportedPlatforms,
    suggestion,
    originalError: loadError.message,
  });
}
