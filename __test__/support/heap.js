import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/**
 * Bytes of live JavaScript heap. A figure read right after one gc() can still count garbage on a
 * busy machine (CI once saw 7 MB more than there was): collect a few times, letting the test
 * runner's own work settle in between.
 */
export async function settledHeapUsed() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The least heap growth, in bytes, that `build` leaves alive over `tries` tries: `build` returns
 * what it built, which is held while the heap is measured and dropped before the next try.
 * Garbage only adds to a figure, so something that really holds more fails every try.
 */
export async function leastHeapGrowth(build, tries = 3) {
  const growths = [];
  for (let attempt = 0; attempt < tries; attempt++) growths.push(await heapGrowthOf(build));
  return { least: Math.min(...growths), growths };
}

async function heapGrowthOf(build) {
  const before = await settledHeapUsed();
  const built = await build();
  const growth = (await settledHeapUsed()) - before;
  // Keeps `built` reachable until after the measurement.
  if (built === undefined) throw new Error('build() must return what it built');
  return growth;
}
