import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../engine/cpu/cpu-backend.ts';
import { loadSentenceModel, type LoadedModel } from '../load-model.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, readReference } from '../../../test/support/tiny-bert.ts';
import { folderFiles } from '../folder-files.ts';
import { modelCard, modelCardBasics, transformersJsPooling } from '../model-card.ts';
import { sentenceTransformersFolder } from '../st-export.ts';
import { writeFolderAtomically } from '../write-folder.ts';

/**
 * The exported folder as its users open it: transformers.js' feature-extraction pipeline (offline,
 * from env.localModelPath) with each dtype, and our own loader (a lossless round trip).
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const NAME = 'tiny-bert-export';

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!HAVE_FIXTURES)('exported sentence-transformers folder', () => {
  let parent: string;
  let dir: string;
  let source: LoadedModel;
  let files: Map<string, Uint8Array>;
  let sentences: string[];
  let expected: Float32Array;

  beforeAll(async () => {
    sentences = readReference().sentences;
    source = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), new CpuBackend());
    expected = await source.model.encode(sentences);
    const card = modelCard({ ...modelCardBasics(source), modelId: NAME, exampleSentences: sentences });
    files = await sentenceTransformersFolder(source, { modelCard: card });
    parent = await mkdtemp(path.join(tmpdir(), 'es-export-'));
    dir = path.join(parent, NAME);
    await writeFolderAtomically(dir, files);
  });
  afterAll(async () => {
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('holds the three ONNX files and the model card', () => {
    for (const f of ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx', 'README.md', 'model.safetensors', 'config.json', 'tokenizer.json']) {
      expect(files.has(f), f).toBe(true);
    }
  });

  it('leaves ONNX out when asked', async () => {
    const plain = await sentenceTransformersFolder(source, { onnx: false });
    expect([...plain.keys()].some((k) => k.startsWith('onnx/'))).toBe(false);
  });

  it('reloads with identical parameters and embeddings', async () => {
    const again = await loadSentenceModel(folderFiles(dir), new CpuBackend());
    expect(await again.model.store.readParams()).toEqual(await source.model.store.readParams());
    expect(await again.model.encode(sentences)).toEqual(expected);
    expect(again.model.pooling).toEqual(source.model.pooling);
    expect(again.model.normalize).toBe(source.model.normalize);
  });

  // Bounds on the L2-normalised sentence embeddings: fp16 5× its measured 1.27e-4 (onnxruntime-node,
  // CPU); q8 measured at 9.9e-4.
  it.each([
    ['fp32', 1e-4],
    ['fp16', 6.5e-4],
    ['q8', 5e-3],
  ] as const)('transformers.js pipeline(feature-extraction, dtype %s) gives the engine embeddings', async (dtype, bound) => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.useFSCache = false;
    env.localModelPath = `${parent}${path.sep}`;
    const { pooling } = transformersJsPooling(source.model.pooling, false);
    expect(pooling).toBe('mean'); // what the card tells transformers.js users for this model
    const extractor = await pipeline('feature-extraction', NAME, { dtype });
    const out = await extractor(sentences, { pooling: pooling!, normalize: source.model.normalize });
    expect(out.dims).toEqual([sentences.length, source.model.dimension]);
    const err = maxAbs(out.data as Float32Array, expected);
    console.info(`transformers.js ${dtype} vs engine encode: max-abs ${err.toExponential(2)}`);
    await extractor.dispose();
    expect(err).toBeLessThan(bound);
  });
});
