import type { ParamLayout } from '../engine/params.ts';

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Checkpoints saved from BertForX carry this prefix; sentence-transformers' own do not. */
const PREFIXES = ['', 'bert.', 'model.'];
/** Present in many checkpoints, never used by a sentence embedding. */
const IGNORED = /^(bert\.)?(pooler\.|embeddings\.position_ids$)|^(cls|lm_head)\./;

/**
 * Copies named tensors into the flat parameter buffer by the layout's offsets. Every parameter
 * must be present with its exact shape; unknown extra tensors are an error (a different
 * architecture), except those known to be unused.
 *
 * All of that is checked before the buffer is allocated: the layout is sized from config.json,
 * and a config that disagrees with the weights (hidden_size 2048 next to a 32-wide model) must
 * fail on the first mismatching shape, not after allocating for the config's numbers.
 */
export function packWeights(layout: ParamLayout, tensors: ReadonlyMap<string, NamedTensor>, source: string): Float32Array {
  const placed: { tensor: NamedTensor; offset: number }[] = [];
  const used = new Set<string>();
  for (const entry of layout.entries) {
    const key = PREFIXES.map((p) => p + entry.name).find((k) => tensors.has(k));
    if (!key) throw new Error(`${source}: missing tensor ${entry.name} [${entry.shape.join(', ')}]`);
    const t = tensors.get(key)!;
    if (t.shape.length !== entry.shape.length || t.shape.some((d, i) => d !== entry.shape[i]) || t.data.length !== entry.size) {
      throw new Error(`${source}: ${key} has shape [${t.shape.join(', ')}], the config implies [${entry.shape.join(', ')}]`);
    }
    placed.push({ tensor: t, offset: entry.offset });
    used.add(key);
  }
  const unknown = [...tensors.keys()].filter((k) => !used.has(k) && !IGNORED.test(k));
  if (unknown.length > 0) {
    throw new Error(`${source}: tensors the BERT encoder does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
  }
  // Every parameter now matches a tensor we hold, so the buffer is about the weights' own size.
  const values = new Float32Array(layout.totalSize);
  for (const { tensor, offset } of placed) values.set(tensor.data, offset);
  return values;
}

/** The inverse: named tensors (HF names) cut out of a flat buffer. */
export function unpackWeights(layout: ParamLayout, flat: Float32Array): { name: string; shape: readonly number[]; data: Float32Array }[] {
  return layout.entries.map((e) => ({ name: e.name, shape: e.shape, data: flat.slice(e.offset, e.offset + e.size) }));
}
