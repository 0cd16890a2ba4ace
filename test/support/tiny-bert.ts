import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSafetensors } from '../../src/io/safetensors.ts';
import { FIXTURES_DIR, haveFixtures } from './fixtures.ts';

export { FIXTURES_DIR };
export const TINY_BERT_DIR = path.join(FIXTURES_DIR, 'tiny-bert');
export const TINY_BERT_MODEL_DIR = path.join(TINY_BERT_DIR, 'model');
/**
 * Whether the tiny-bert fixture is here. Under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1 a missing one
 * throws on import, so every test file that asks fails rather than skips (test/support/fixtures.ts).
 */
export const HAVE_FIXTURES = haveFixtures('tiny-bert/reference.json', 'the tests that compare with sentence-transformers');
export const SKIP_REASON = `fixtures not found at ${TINY_BERT_DIR}: skipping reference-parity tests`;

export interface TinyBertReference {
  sentences: string[];
  triplets: [string, string, string][];
  pairs: [string, string, number][];
  input_ids: number[][];
  attention_mask: number[][];
  token_embeddings_first2: number[][][];
  pooled: Record<'mean' | 'cls' | 'max', number[][]>;
  encode_normalized: number[][];
  losses: Record<'mnrl' | 'cosine' | 'triplet' | 'cosent', number>;
  adamw: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  mnrl_curve_after_first_step: number[];
}

export function readReference(): TinyBertReference {
  return JSON.parse(readFileSync(path.join(TINY_BERT_DIR, 'reference.json'), 'utf8')) as TinyBertReference;
}

export function readFixtureTensors(file: string): Map<string, Float32Array> {
  const bytes = new Uint8Array(readFileSync(path.join(TINY_BERT_DIR, file)));
  return new Map([...parseSafetensors(bytes, file).tensors].map(([k, v]) => [k, v.data]));
}

/** ‖a − b‖ / ‖b‖, the README's measure for gradients and weights. */
export function relativeNormError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

/** max |a − b| / max |b|: elementwise closeness scaled by the data's magnitude. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-30);
}

/**
 * ‖a − b‖ / max(‖b‖, floor). Some reference tensors are analytically zero (the key bias gradient:
 * softmax ignores a shift shared by every key) and hold only float noise, where a relative error
 * means nothing; the floor, stated per use, turns those into an absolute bound.
 */
export function flooredNormError(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), floor);
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
