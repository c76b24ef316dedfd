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
    quietVulkanDeviceSelect();
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

/**
 * Mesa's device-select Vulkan layer, installed with Mesa's Vulkan drivers, tries to connect to a
 * Wayland display to learn which GPU drives the desktop, and on a headless server prints "error:
 * XDG_RUNTIME_DIR is invalid or not set in the environment." four times when wgpu looks for a GPU.
 * wgpu picks among the adapters itself (a discrete GPU first), so the layer is turned off for this
 * process, before the addon can start Vulkan, unless NODEVICE_SELECT is set already.
 */
function quietVulkanDeviceSelect() {
  if (process.platform === 'linux' && process.env.NODEVICE_SELECT === undefined) process.env.NODEVICE_SELECT = '1';
}
