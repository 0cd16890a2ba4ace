/**
 * Stage 4's data: hard negatives chosen by the model itself. Stage 3's BM25 negatives were drawn
 * at random from the BM25 top 30, and its loss stayed near 0.27 throughout: most of them were
 * already easy for the model. Here the same BM25 top 30 (lexically close, over the training pairs
 * only) is re-ranked by the stage-3 model, and the negative is drawn from the model's own top 3
 * of them: the documents that share the query's words *and* that the model confuses with the
 * positive, which is where it still loses to BM25 on held-out packages (a rare word, a sibling).
 *
 *   npm run make:builtin-model -- --pretrain mine-model [--stage 4..7]   # the stage before's model + train-stage2.jsonl → train-stageN.jsonl
 *
 * Every positive of the anchor and any text equal to one is removed first (as in stage 3), so a
 * package's own description, or a sibling's identical one, is never its negative.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chooseNodeBackend } from '../src/cli/node-runtime.ts';
import { seededRandom } from '../src/data/split.ts';
import { Bm25Index } from '../src/eval/bm25.ts';
import { folderFiles } from '../src/io/folder-files.ts';
import { loadSentenceModel } from '../src/io/load-model.ts';
import { PRETRAIN_DIR, type Pair } from './pretrain-data.ts';
import { cropQueries } from './pretrain-crop.ts';
import { bm25Candidates, isCrossLingual, pairCorpus, STAGE3_SOURCE, type Triplet } from './pretrain-mine.ts';

export const STAGE4_FILE = path.join(PRETRAIN_DIR, 'train-stage4.jsonl');
/** Stage 5 mines once more, with stage 4's model: the negatives it still confuses. */
export const STAGE5_FILE = path.join(PRETRAIN_DIR, 'train-stage5.jsonl');
/** Stage 6: mined with stage 5's model, half the English queries cropped (scripts/pretrain-crop.ts). */
export const STAGE6_FILE = path.join(PRETRAIN_DIR, 'train-stage6.jsonl');
/** Stage 7 (the GPU's): the same with stage 6's model. */
export const STAGE7_FILE = path.join(PRETRAIN_DIR, 'train-stage7.jsonl');
const MODEL_TOP = 3;

function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[i * dim + k] * b[j * dim + k];
  return s;
}

/** How a share of the mined rows get a query cropped from their positive (scripts/pretrain-crop.ts). */
export interface CropOptions {
  readonly share: number;
  readonly seed: number;
}

/**
 * `modelDir`: the model the next stage starts from (the one before's output); `seed` draws among
 * its top 3; `crop`, where given, then crops a share of the queries.
 */
export async function mineWithModel(modelDir: string, outFile: string, seed: number, crop?: CropOptions): Promise<void> {
  if (!existsSync(path.join(modelDir, 'model.safetensors'))) throw new Error(`mine-model: no model in ${modelDir}`);
  const pairs = readFileSync(STAGE3_SOURCE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Pair);
  const { docs, docIndex, positives } = pairCorpus(pairs);
  const anchors = [...new Set(pairs.map((p) => p.anchor))];
  const anchorIndex = new Map(anchors.map((a, i) => [a, i]));

  const { backend } = await chooseNodeBackend('wasm');
  const t0 = performance.now();
  let docEmb: Float32Array;
  let anchorEmb: Float32Array;
  let dim: number;
  try {
    const { model } = await loadSentenceModel(folderFiles(modelDir), backend);
    dim = model.dimension;
    docEmb = await model.encode(docs, { batchSize: 64 });
    console.error(`encoded ${docs.length} documents (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    anchorEmb = await model.encode(anchors, { batchSize: 64 });
    console.error(`encoded ${anchors.length} anchors (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    backend.destroy();
  }

  const index = new Bm25Index(docs);
  const random = seededRandom(seed);
  const out: Triplet[] = [];
  let harderThanPositive = 0;
  pairs.forEach((p, n) => {
    const own = positives.get(p.anchor)!;
    const a = anchorIndex.get(p.anchor)!;
    const candidates = bm25Candidates(index, p, own);
    const byModel = candidates.map((d) => ({ d, s: dot(anchorEmb, a, docEmb, d, dim) })).sort((x, y) => y.s - x.s).slice(0, MODEL_TOP);
    const positiveScore = dot(anchorEmb, a, docEmb, docIndex.get(p.positive)!, dim);
    if (byModel[0] && byModel[0].s > positiveScore) harderThanPositive++;
    const pick = (exclude: number): number => {
      const pool = byModel.filter((c) => c.d !== exclude);
      if (pool.length > 0) return pool[Math.floor(random() * pool.length)].d;
      let d = -1;
      while (d < 0 || own.has(d) || d === exclude) d = Math.floor(random() * docs.length);
      return d;
    };
    const neg = pick(-1);
    const row = { anchor: p.anchor, positive: p.positive, negative: docs[neg] };
    out.push(row);
    if (isCrossLingual(p)) out.push({ ...row, negative: docs[pick(neg)] });
    if ((n + 1) % 10000 === 0) console.error(`mined ${n + 1} / ${pairs.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
  const cropped = crop ? cropQueries(out, crop.share, crop.seed) : { rows: out, cropped: 0 };
  writeFileSync(outFile, `${cropped.rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  console.log(`wrote ${outFile}: ${out.length} rows from ${pairs.length} pairs; the model ranked a negative above the positive for ${harderThanPositive} (${((100 * harderThanPositive) / pairs.length).toFixed(1)}%)${crop ? `; ${cropped.cropped} queries cropped from their positive` : ''}`);
}
