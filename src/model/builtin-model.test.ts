/**
 * The committed built-in model (public/models/builtin) is the pre-trained one that
 * scripts/pretrain-export.ts wrote: its files agree with each other, it says it is pre-trained,
 * and on a slice of the held-out Debian packages it still gets the numbers recorded at export
 * (so a change in tokenizer, pooling or the encoder's maths that alters its embeddings shows).
 */

import { readFileSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_DIR, sentenceFolderFiles } from '../../scripts/make-builtin-model.ts';
import { EVAL_FILE, SLICE_FILE, type BuiltinEval, type SliceFile } from '../../scripts/pretrain-export.ts';
import { MAX_SEQ_LENGTH, PRETRAIN_SHAPE } from '../../scripts/pretrain-builtin.ts';
import type { Backend } from '../engine/backend.ts';
import { nodeThreadSpawner } from '../engine/wasm/node-threads.ts';
import { createWasmBackend } from '../engine/wasm/wasm-backend.ts';
import { bm25RetrievalScores, modelRetrievalScores } from '../eval/retrieval-set.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel, type LoadedModel } from '../io/load-model.ts';
import { readPretrainedMarker } from '../io/pretrained-marker.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { Workspace } from '../worker/workspace.ts';

const read = (rel: string) => readFileSync(path.join(BUILTIN_MODEL_DIR, rel));
const evalResults = JSON.parse(read(EVAL_FILE).toString('utf8')) as BuiltinEval;
const slice = JSON.parse(readFileSync(SLICE_FILE, 'utf8')) as SliceFile;

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(path.join(e.parentPath, e.name)).size, 0);
}

describe('the built-in model (public/models/builtin)', () => {
  let backend: Backend;
  let loaded: LoadedModel;
  beforeAll(async () => {
    backend = await createWasmBackend({ threads: 2, spawn: nodeThreadSpawner });
    loaded = await loadSentenceModel(folderFiles(BUILTIN_MODEL_DIR), backend);
  });
  afterAll(() => backend?.destroy());

  it('has the pre-training shape, mean pooling, normalisation, and fits the 25 MB budget', () => {
    expect(loaded.config.bert).toMatchObject({
      hiddenSize: PRETRAIN_SHAPE.hiddenSize, numHiddenLayers: PRETRAIN_SHAPE.layers, numAttentionHeads: PRETRAIN_SHAPE.heads,
      intermediateSize: PRETRAIN_SHAPE.intermediateSize, maxPositionEmbeddings: PRETRAIN_SHAPE.maxPositions,
    });
    expect(loaded.model.maxSeqLength).toBe(MAX_SEQ_LENGTH);
    expect(loaded.config.pooling.mode).toBe('mean');
    expect(loaded.config.normalize).toBe(true);
    expect(folderBytes(BUILTIN_MODEL_DIR)).toBeLessThan(25_000_000);
  });

  it('says it is pre-trained, so the studio suggests a fine-tuning learning rate', async () => {
    const marker = await readPretrainedMarker(folderFiles(BUILTIN_MODEL_DIR));
    expect(marker).toEqual({ pretrained: true, suggestedLearningRate: 5e-5 });
    expect(read('README.md').toString('utf8')).toMatch(/pre-trained by Embedding\s+Studio's own engine/);
  });

  it('its tokenizer files are the ones the pipeline writes for its vocabulary', () => {
    const vocab = read('vocab.txt').toString('utf8').trimEnd().split('\n');
    const config = JSON.parse(read('config.json').toString('utf8')) as Record<string, unknown>;
    const expected = sentenceFolderFiles(vocab, config, PRETRAIN_SHAPE.hiddenSize, MAX_SEQ_LENGTH);
    for (const rel of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', '1_Pooling/config.json', 'sentence_bert_config.json', 'modules.json']) {
      expect(read(rel).equals(Buffer.from(expected.get(rel)!)), rel).toBe(true);
    }
  });

  it('records held-out metrics that beat the random init it started from', () => {
    for (const r of Object.values(evalResults.heldOut)) {
      expect(r.model.queries).toBeGreaterThanOrEqual(200);
      expect(r.model.corpus).toBeGreaterThanOrEqual(1000);
      expect(r.model['mrr@10']).toBeGreaterThan(r.random['mrr@10'] + 0.1);
    }
  });

  it('gets the recorded MRR@10 / NDCG@10 on the committed held-out slice', async () => {
    for (const set of slice.sets) {
      const want = evalResults.slice[set.name];
      const got = await modelRetrievalScores(set, (t) => loaded.model.encode(t), loaded.model.dimension);
      // Rankings only move when embeddings move; 1e-3 absorbs a reordered float sum, not a real change.
      expect(got['mrr@10'], set.name).toBeCloseTo(want['mrr@10'], 3);
      expect(got['ndcg@10'], set.name).toBeCloseTo(want['ndcg@10'], 3);
      // And the slice is a real ranking task: BM25 does not get it all right.
      expect(bm25RetrievalScores(set)['mrr@10']).toBeLessThan(1);
    }
  }, 120_000);

  it('exports to ONNX that transformers.js reads with the same embeddings (fp32, ≤ 1e-4)', async () => {
    const ws = new Workspace(backend);
    await ws.setModel(loaded, { name: 'built-in', randomWeights: false });
    ws.setDataset(loadTrainingJsonl(readFileSync('public/samples/support-faq.jsonl', 'utf8'), { file: 'support-faq.jsonl' }), { evalFraction: 0.3, seed: 1 });
    const report = await ws.verifyOnnx(
      { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' },
      undefined, undefined, { maxTexts: 24, dtypes: ['fp32'] },
    );
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0].message).toBeUndefined();
    expect(report.rows[0].fittingMaxAbsDiff).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});
