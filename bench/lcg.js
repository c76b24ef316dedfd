// The pseudo-random generator of the small-data benchmarks (bench/small-data.js,
// bench/calibration.js): one module, so that a data seed names the same data set in both, as the
// docs that compare their figures assume. The tests' own helper (__test__/support/db.js) is the
// same LCG.

/** Deterministic pseudo-random numbers in [0, 1) from `seed` (a 32-bit linear congruential generator). */
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
