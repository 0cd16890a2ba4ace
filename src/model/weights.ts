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
 */
export function packWeights(layout: ParamLayout, tensors: ReadonlyMap<string, NamedTensor>, source: string): Float32Array {
  const values = new Float32Array(layout.totalSize);
  const used = new Set<string>();
  for (const entry of layout.entries) {
    const key = PREFIXES.map((p) => p + entry.name).find((k) => tensors.has(k));
    if (!key) throw new Error(`${source}: missing tensor ${entry.name} [${entry.shape.join(', ')}]`);
    const t = tensors.get(key)!;
    if (t.shape.join() !== entry.shape.join()) {
      throw new Error(`${source}: ${key} has shape [${t.shape.join(', ')}], the config implies [${entry.shape.join(', ')}]`);
    }
    values.set(t.data, entry.offset);
    used.add(key);
  }
  const unknown = [...tensors.keys()].filter((k) => !used.has(k) && !IGNORED.test(k));
  if (unknown.length > 0) {
    throw new Error(`${source}: tensors the BERT encoder does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
  }
  return values;
}

/** The inverse: named tensors (HF names) cut out of a flat buffer. */
export function unpackWeights(layout: ParamLayout, flat: Float32Array): { name: string; shape: readonly number[]; data: Float32Array }[] {
  return layout.entries.map((e) => ({ name: e.name, shape: e.shape, data: flat.slice(e.offset, e.offset + e.size) }));
}
