/**
 * Helpers for the property-based (fast-check) tests in test/fuzz.
 *
 * `fuzz` wraps `fc.assert` so every property states how many inputs it tried, the slowest single
 * input, and fails on an input that takes longer than its bound (a hang shows up as a shrunk
 * counterexample, not as a test timeout). `expectSpecificError` is the "no crash other than the
 * parser's own errors" check: the error must be one of the parser's classes (never a TypeError or
 * RangeError thrown from deep inside) and its message must name the file/field/line.
 *
 * Set FUZZ_SEED=<n> to replay a run; FUZZ_SCALE=<x> multiplies every numRuns (e.g. 10 for a soak).
 */

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { ModelFiles } from '../../src/io/load-model.ts';

export { fc };

export interface FuzzOptions {
  /** Inputs to try (before FUZZ_SCALE). */
  numRuns: number;
  /** Largest time one input may take, in ms (at least 250; a slow input is timed twice). */
  maxMsPerInput: number;
  /** Inputs always tried first (fast-check counts them within numRuns). */
  examples?: unknown[];
}

export interface FuzzStats {
  name: string;
  /** Inputs the property was evaluated on during the successful run. */
  runs: number;
  maxMs: number;
  totalMs: number;
}

const SCALE = Number(process.env.FUZZ_SCALE ?? '1') || 1;
const MIN_BOUND_MS = 250;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Every log line also lands here, so a test file can print one summary at the end. */
export const fuzzLog: FuzzStats[] = [];

/**
 * Runs `predicate` on `numRuns` generated inputs (async or sync), times every input, fails when
 * one exceeds `maxMsPerInput`, then logs and asserts the number of inputs tried.
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => void | Promise<void>,
  opts: FuzzOptions,
): Promise<FuzzStats> {
  const numRuns = Math.max(1, Math.round(opts.numRuns * SCALE));
  // Bounds are for catching hangs and blow-ups, not for benchmarking: never below MIN_BOUND_MS.
  const bound = Math.max(opts.maxMsPerInput, MIN_BOUND_MS);
  let runs = 0;
  let maxMs = 0;
  let totalMs = 0;
  const t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      runs++;
      const timed = async () => {
        const start = performance.now();
        await predicate(value);
        return performance.now() - start;
      };
      let ms = await timed();
      // A GC pause or a busy machine can stretch one run; a hang stretches every run of that input.
      if (ms > bound) ms = Math.min(ms, await timed());
      maxMs = Math.max(maxMs, ms);
      if (ms > bound) {
        throw new Error(`${name}: one input took ${ms.toFixed(1)} ms (twice), over the ${bound} ms bound`);
      }
    }),
    {
      numRuns,
      ...(SEED === undefined ? {} : { seed: SEED }),
      ...(opts.examples ? { examples: opts.examples.map((e) => [e] as [T]) } : {}),
    },
  );
  totalMs = performance.now() - t0;
  const stats: FuzzStats = { name, runs, maxMs, totalMs };
  fuzzLog.push(stats);
  console.log(`[fuzz] ${name}: ${runs} inputs, slowest ${maxMs.toFixed(1)} ms, total ${totalMs.toFixed(0)} ms`);
  // fast-check counts the examples within numRuns; a property that passed ran each input once.
  expect(runs).toBe(numRuns);
  return stats;
}

/** Error classes that mean "crashed inside" rather than "refused the input with a reason". */
const GENERIC_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError] as const;

/**
 * `err` must be an instance of one of `classes`, not a built-in TypeError/RangeError/…, and its
 * message must contain at least one of `mentions` (the file name, field or line it is about).
 */
export function expectSpecificError(
  err: unknown,
  classes: readonly (abstract new (...args: never[]) => Error)[],
  mentions: readonly string[],
): asserts err is Error {
  if (!(err instanceof Error)) throw new Error(`expected an Error, got ${String(err)}`);
  const generic = GENERIC_ERRORS.find((c) => err instanceof c);
  if (generic || !classes.some((c) => err instanceof c)) {
    const e = new Error(
      `not one of the parser's own errors (${classes.map((c) => c.name).join(', ')}): ${err.constructor.name}: ${err.message}`,
    );
    e.cause = err;
    throw e;
  }
  if (!mentions.some((m) => err.message.includes(m))) {
    throw new Error(`error message does not name any of ${JSON.stringify(mentions)}: ${err.message}`);
  }
}

/** Runs `fn` and returns what it threw (undefined when it returned normally). */
export async function caught<R>(fn: () => R | Promise<R>): Promise<{ value?: R; error?: unknown }> {
  try {
    return { value: await fn() };
  } catch (error) {
    return { error };
  }
}

/** What a synchronous `fn` threw, or undefined when it returned normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Growth of `process.memoryUsage().arrayBuffers` across `fn`, read right after it returns or
 * throws (before a GC could hide a large allocation that was made and dropped).
 */
export async function arrayBufferGrowth(fn: () => unknown): Promise<{ bytes: number; error?: unknown }> {
  const before = process.memoryUsage().arrayBuffers;
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  return { bytes: process.memoryUsage().arrayBuffers - before, error };
}

/** ModelFiles over an in-memory map; a path that is absent reads as null (file missing). */
export function memoryModelFiles(name: string, files: ReadonlyMap<string, Uint8Array | string>): ModelFiles {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const norm = (p: string) => p.replace(/^\.\//, '');
  return {
    name,
    readText: async (p) => {
      const v = files.get(norm(p));
      return v === undefined ? null : typeof v === 'string' ? v : dec.decode(v);
    },
    readBytes: async (p) => {
      const v = files.get(norm(p));
      return v === undefined ? null : typeof v === 'string' ? enc.encode(v) : v;
    },
  };
}

/** Every file under `dir` keyed by its relative path with "/" separators (empty when absent). */
export function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const full = path.join(d, n);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full).split(path.sep).join('/'), new Uint8Array(readFileSync(full)));
    }
  };
  walk(dir);
  return out;
}

/**
 * A JSON value of bounded depth with the awkward cases parsers trip on: huge and fractional
 * numbers, negative zero, empty containers, prototype-ish keys.
 */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 2 },
    fc.constantFrom(null, true, false, 0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e300, -1e300, Number.MIN_VALUE),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', '__proto__', 'constructor', 'gelu', 'bert', 'mean', 'F32', '[PAD]'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'type', 'id')), tie('value'), {
      maxKeys: 3,
    }),
  ),
})).value;

/** Paths (as key lists) of every node of a JSON value, the root excluded. */
export function jsonPaths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      jsonPaths(x, [...prefix, i], out);
    });
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      jsonPaths(x, [...prefix, k], out);
    }
  }
  return out;
}

/** A deep copy of `v` with the node at `p` deleted (arrays: spliced) or replaced by `replacement`. */
export function editJson(v: unknown, p: readonly (string | number)[], replacement?: { value: unknown }): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const k of p.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  if (replacement) {
    // defineProperty so that a "__proto__" key stays an ordinary own property, as JSON.parse makes it.
    Object.defineProperty(node, last, { value: replacement.value, enumerable: true, writable: true, configurable: true });
  } else if (Array.isArray(node)) node.splice(last as number, 1);
  else delete node[last];
  return copy;
}
