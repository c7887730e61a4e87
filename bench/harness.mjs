/*
 * A small timing harness. The machine this runs on is shared and has two cores, so a single
 * long run per function is at the mercy of whatever else runs at that moment: instead each
 * function is timed in several short rounds, the functions of one comparison take turns
 * round by round (alternating which goes first), and the median round is reported.
 */

const DEFAULTS = { minTimeMs: 300, rounds: 21 };

/** Defaults for every `measure`/`compare` call of this process (set from the command line). */
export function setDefaults(options) {
  Object.assign(DEFAULTS, options);
}

/**
 * Nanoseconds per call of `fn` (sync or async), the median of `rounds` rounds after a warm-up.
 * `minTimeMs` is the time spent measuring `fn`, spread over the rounds.
 */
export async function measure(fn, options = {}) {
  const [result] = await compare([fn], options);
  return result.ns;
}

/**
 * Times several functions that do the same work in different ways, interleaved: round r runs
 * one batch of each, in order for even r and in reverse for odd r, so that a burst of load
 * from elsewhere hits them alike. Returns, per function, `{ ns, minNs, maxNs, samples, batch }`
 * where `ns` is the median nanoseconds per call and `samples` the per-round figures, in round
 * order (see `pairedRatio`).
 */
export async function compare(fns, options = {}) {
  const { minTimeMs, rounds } = { ...DEFAULTS, ...options };
  if (!Array.isArray(fns) || fns.length === 0 || fns.some((fn) => typeof fn !== 'function')) {
    throw new TypeError('compare expects a non-empty array of functions');
  }
  if (!(rounds >= 1) || !(minTimeMs > 0)) throw new RangeError('rounds must be ≥ 1 and minTimeMs > 0');
  const roundNs = (minTimeMs * 1e6) / rounds;
  const warmupMs = options.warmupMs ?? Math.max(50, minTimeMs / 2);

  const subjects = [];
  for (const fn of fns) {
    // The first call, untimed, tells whether the function is async.
    const first = fn();
    const isAsync = isThenable(first);
    if (isAsync) await first;
    subjects.push({ fn, isAsync, batch: 1, samples: [] });
  }
  for (const subject of subjects) {
    await warmUp(subject, warmupMs * 1e6);
    subject.batch = await calibrate(subject, roundNs);
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      collectGarbage();
      const elapsed = await runBatch(subject.fn, subject.batch, subject.isAsync);
      subject.samples.push(elapsed / subject.batch);
    }
  }
  return subjects.map(({ samples, batch }) => {
    const sorted = [...samples].sort((left, right) => left - right);
    return {
      ns: median(sorted),
      minNs: sorted[0],
      maxNs: sorted[sorted.length - 1],
      samples,
      batch,
    };
  });
}

/**
 * The median over rounds of `numerator / denominator`, each ratio taken within one round. The
 * two batches of a round run back to back, so a change of load between rounds (other work on
 * the machine starting or stopping) moves both and cancels out of their ratio, where it would
 * not cancel out of the ratio of two medians.
 */
export function pairedRatio(numerator, denominator) {
  const ratios = numerator.samples.map((sample, round) => sample / denominator.samples[round]);
  return median(ratios.sort((left, right) => left - right));
}

let sink;

/** Runs `fn` `count` times and returns the elapsed nanoseconds. */
async function runBatch(fn, count, isAsync) {
  let result;
  const start = process.hrtime.bigint();
  if (isAsync) {
    for (let index = 0; index < count; index++) result = await fn();
  } else {
    for (let index = 0; index < count; index++) result = fn();
  }
  const elapsed = Number(process.hrtime.bigint() - start);
  // Keep the last result reachable so that no call can be optimised away as dead code.
  sink = result;
  return elapsed;
}

async function warmUp(subject, warmupNs) {
  let count = 1;
  let spent = 0;
  while (spent < warmupNs) {
    spent += await runBatch(subject.fn, count, subject.isAsync);
    count = Math.min(count * 2, 1 << 20);
  }
}

/** The number of calls that fills one round's time slice (at least one call). */
async function calibrate(subject, roundNs) {
  let count = 1;
  for (;;) {
    const elapsed = await runBatch(subject.fn, count, subject.isAsync);
    if (elapsed >= roundNs / 4 || count >= 1 << 24) {
      return Math.max(1, Math.round((count * roundNs) / Math.max(elapsed, 1)));
    }
    count *= 2;
  }
}

function median(sorted) {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

/** Without `--expose-gc` the rounds simply include whatever collection falls into them. */
function collectGarbage() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Whether the harness can collect garbage between rounds (`node --expose-gc`). */
export const canCollectGarbage = typeof globalThis.gc === 'function';
