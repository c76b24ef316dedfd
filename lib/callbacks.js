// User callbacks and event listeners run inside the plugin's own work (a training, its progress).
// One that throws, or an async one whose promise rejects, must neither fail that work nor end the
// process: s3db.js exits on any unhandled rejection. Either becomes a process warning.

/** Calls `callback(value)`; a throw or a rejected promise from it is a warning naming `what`. */
export function callSafely(callback, value, what) {
  const warn = (error) => process.emitWarning(`s3db-ml: ${what} threw: ${error?.message ?? error}`);
  try {
    const result = callback(value);
    if (typeof result?.then === 'function') result.then(undefined, warn);
  } catch (error) {
    warn(error);
  }
}
