import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrainingFile } from '../data/load-file.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import type { OnnxVerificationReport } from '../worker/protocol.ts';
import { StudioApi } from '../worker/studio-api.ts';
import { Workspace } from '../worker/workspace.ts';
import type { RetrievalSettings } from '../shared/settings.ts';
import { selectVerificationTexts } from './onnx-texts.ts';

/**
 * The exported ONNX files, loaded back through transformers.js (onnxruntime-node here, the same
 * code onnxruntime-web runs in the page's worker), against the engine that exported them.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const SETTINGS: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
// What the test demands of the texts that fit max_seq_length, tighter than the page's ONNX_TOLERANCE
// (which also has to pass on GPUs computing in fp16): fp16 5× its measured 1.50e-4, int8 measured 1.8e-3.
const BOUNDS = { fp32: 1e-4, fp16: 7.5e-4, int8: 5e-3 } as const;
const DATA = 'public/samples/support-faq.jsonl';

async function workspace(): Promise<Workspace> {
  const ws = new Workspace(new CpuBackend());
  await ws.setModel(await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), ws.backend), { name: 'tiny-bert', randomWeights: true });
  ws.setDataset(loadTrainingJsonl(readFileSync(DATA, 'utf8'), { file: 'support-faq.jsonl' }), { evalFraction: 0.3, seed: 1 });
  return ws;
}

function expectWithinBounds(report: OnnxVerificationReport, label: string): void {
  expect(report.rows.map((r) => r.file)).toEqual(['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx']);
  for (const row of report.rows) {
    console.info(
      `${label} ${row.dtype}: texts within max_seq_length: max |Δ| ${row.fittingMaxAbsDiff.toExponential(2)}, min cos ${row.fittingMinCosine.toFixed(6)}; ` +
        `all ${row.texts} (${report.truncatedTexts} longer): max |Δ| ${row.maxAbsDiff.toExponential(2)}, min cos ${row.minCosine.toFixed(6)}; ` +
        `MRR@10 ${row.metrics?.['mrr@10'].toFixed(4)} NDCG@10 ${row.metrics?.['ndcg@10'].toFixed(4)} R@10 ${row.metrics?.['recall@10'].toFixed(4)} (${row.milliseconds.toFixed(0)} ms)`,
    );
    expect(row.message, row.file).toBeUndefined();
    expect(row.fittingMaxAbsDiff, row.dtype).toBeLessThanOrEqual(BOUNDS[row.dtype]);
    expect(row.fittingMinCosine, row.dtype).toBeGreaterThan(0.999);
    expect(row.maxAbsDiff).toBeGreaterThanOrEqual(row.fittingMaxAbsDiff);
    expect(row.ok).toBe(true);
  }
}

describe('which texts the ONNX check embeds', () => {
  const set = {
    queries: Array.from({ length: 100 }, (_, i) => `q${i}`),
    corpus: Array.from({ length: 400 }, (_, i) => `d${i}`),
    relevant: Array.from({ length: 100 }, (_, i) => new Set([i * 4])),
  };

  it('keeps an eval set that fits whole', () => {
    const t = selectVerificationTexts(set, [], 1000);
    expect([t.queries.length, t.corpus.length, t.sampled, t.source]).toEqual([100, 400, false, 'eval set']);
  });

  it('samples queries with all their relevant documents and spreads the distractors', () => {
    const t = selectVerificationTexts(set, [], 200);
    expect(t.sampled).toBe(true);
    expect(t.queries.length).toBe(50);
    expect(t.queries.length + t.corpus.length).toBe(200);
    t.queries.forEach((q, i) => {
      const rel = [...t.relevant![i]];
      expect(rel).toHaveLength(1);
      expect(t.corpus[rel[0]]).toBe(`d${Number(q.slice(1)) * 4}`);
    });
    expect(new Set(t.corpus).size).toBe(t.corpus.length);
  });

  it('falls back to dataset texts, then to sample sentences, without metrics', () => {
    expect(selectVerificationTexts(null, ['a', 'b', 'a'], 200)).toMatchObject({ queries: [], corpus: ['a', 'b'], source: 'dataset rows' });
    const t = selectVerificationTexts(null, [], 3);
    expect(t.corpus).toHaveLength(3);
    expect(t.relevant).toBeUndefined();
  });
});

describe.skipIf(!HAVE_FIXTURES)('exported ONNX files through transformers.js', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
  });

  it('give the engine embeddings and its retrieval metrics (mean pooling, the pipeline pools)', async () => {
    const stages = new Set<string>();
    const report = await ws.verifyOnnx(SETTINGS, (stage) => stages.add(stage));
    expect(report.runtime).toBe('onnxruntime-node');
    expect(report.pooling).toBe("transformers.js pooling 'mean', normalize");
    expect(report.source).toBe('eval set');
    // support-faq has answers longer than tiny-bert's 64 tokens: there transformers.js truncates without [SEP].
    expect([report.maxSeqLength, report.tokenizerMaxLength]).toEqual([64, 64]);
    expect(report.truncatedTexts).toBeGreaterThan(0);
    expect(report.truncatedTexts).toBeLessThan(report.queries + report.documents);
    const info = ws.datasetInfo();
    expect([report.queries, report.documents]).toEqual([info.evalQueries, info.corpusSize]);
    expectWithinBounds(report, 'mean');
    const engine = (await ws.evaluate(SETTINGS, 'base')).metrics;
    expect(report.engineMetrics).toEqual(engine);
    console.info(`engine: MRR@10 ${engine['mrr@10'].toFixed(4)} NDCG@10 ${engine['ndcg@10'].toFixed(4)} R@10 ${engine['recall@10'].toFixed(4)}`);
    for (const row of report.rows) {
      expect(row.texts).toBe(report.queries + report.documents);
      for (const k of ['mrr@10', 'ndcg@10', 'recall@10'] as const) expect(Math.abs(row.metrics![k] - engine[k]), `${row.dtype} ${k}`).toBeLessThan(0.05);
    }
    expect([...stages]).toContain('verifying onnx/model_fp16.onnx');
  });

  it('pools token embeddings by hand for modes transformers.js lacks, prompts excluded as sentence-transformers does', async () => {
    const settings: RetrievalSettings = { pooling: 'weightedmean', normalize: true, includePrompt: false, queryTemplate: 'query: {text}', corpusTemplate: 'passage: {text}' };
    const report = await ws.verifyOnnx(settings, undefined, undefined, { maxTexts: 20 });
    expect(report.pooling).toMatch(/pooling 'none'.*weightedmean.*without the prompt/);
    expect(report.sampled).toBe(true);
    expect(report.queries + report.documents).toBe(20);
    expectWithinBounds(report, 'weightedmean');
    expect(report.engineMetrics).toBeDefined();
  });

  it('checks the bytes of a zip the studio built, and says when a file is broken', async () => {
    const api = new StudioApi({
      createBackend: async () => ({ backend: new CpuBackend() }),
      resolveModel: async () => ({ files: folderFiles(TINY_BERT_MODEL_DIR), name: 'tiny-bert', randomWeights: true }),
      parseDataset: async (name, bytes) => loadTrainingFile(name, bytes),
    });
    await api.init('cpu');
    await api.loadModel({ kind: 'builtin' }, () => {});
    await api.loadDataset('support-faq.jsonl', new Uint8Array(readFileSync(DATA)), { evalFraction: 0.3, seed: 1 });
    const settings: RetrievalSettings = { ...SETTINGS, pooling: 'cls', normalize: false };
    const { zip } = await api.exportZip(settings);
    const report = await api.verifyOnnx(settings, undefined, zip);
    // Not normalised: the bound scales with the largest embedding norm.
    expect(report.rows.find((r) => r.dtype === 'fp32')!.fittingMaxAbsDiff).toBeLessThan(1e-4 * report.rows[0].tolerance / 1e-3);
    expect(report.rows.every((r) => r.ok)).toBe(true);

    const { fflate } = { fflate: await import('fflate') };
    const entries = fflate.unzipSync(zip);
    entries['model/onnx/model_fp16.onnx'] = entries['model/onnx/model_fp16.onnx'].slice(0, 1000);
    delete entries['model/onnx/model_quantized.onnx'];
    const broken = await api.verifyOnnx(settings, undefined, fflate.zipSync(entries));
    expect(broken.rows.map((r) => r.ok)).toEqual([true, false, false]);
    expect(broken.rows[2].message).toBe('not in the export');
    expect(broken.rows[1].message).toBeTruthy();
  });
});
