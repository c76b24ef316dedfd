// Long reads run as many short slices of synchronous work: s3db.js's memory client resolves a
// whole page of GETs in microtasks, which never lets timers or I/O run. A LoopYielder gives the
// event loop a turn whenever the current slice has run for `sliceMs`.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Slices this long keep timers within ~50 ms of their due time, with room for one slice of work after the check. */
const SLICE_MS = 10;

export class LoopYielder {
  constructor(sliceMs = SLICE_MS) {
    this.sliceMs = sliceMs;
    this._sliceStart = performance.now();
    this._turn = null;
  }

  /**
   * Yields to the event loop (timers and I/O due run first) once the current slice is used up.
   * Concurrent callers share one turn, so that they all pause together and the next slice starts
   * once for all of them.
   */
  maybeYield() {
    if (this._turn) return this._turn;
    if (performance.now() - this._sliceStart < this.sliceMs) return undefined;
    this._turn = nextTurn().then(() => {
      this._turn = null;
      this._sliceStart = performance.now();
    });
    return this._turn;
  }
}
