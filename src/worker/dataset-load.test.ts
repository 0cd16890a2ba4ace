import { describe, expect, it } from 'vitest';
import { loadTrainingFile } from '../data/load-file.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import type { StudioStorage } from '../storage/studio-storage.ts';
import { StudioApi, type StudioEnvironment } from './studio-api.ts';

/**
 * The Data panel hands the worker the File itself: the worker streams it through the JSONL parser
 * with byte progress (the page shows it), and gives the same dataset as the bytes would.
 */

/** What the browser worker does (studio.worker.ts), without its browser-only imports. */
function environment(saved: Uint8Array[]): StudioEnvironment {
  const storage = {
    saveDataset: async (name: string, bytes: Uint8Array) => {
      saved.push(bytes);
      return { id: `ds-${saved.length}`, name };
    },
  };
  return {
    createBackend: async () => ({ backend: new CpuBackend() }),
    resolveModel: async () => {
      throw new Error('no model in this test');
    },
    parseDataset: (name, data, mapping, onProgress) => loadTrainingFile(name, data, { file: name, ...(mapping ? { mapping } : {}), ...(onProgress ? { onProgress } : {}) }),
    // Only saveDataset is reached by loadDataset.
    storage: storage as unknown as StudioStorage,
  };
}

function generated(rows: number): Uint8Array<ArrayBuffer> {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(JSON.stringify({ query: `how do I return order ${i}? 退货`, positive: `Returns for order ${i} are free within 30 days.` }));
  lines.splice(10, 0, '{"query": "broken"', '');
  return new TextEncoder().encode(lines.join('\n'));
}

describe('StudioApi.loadDataset with a File', () => {
  it('streams it with byte progress and gives the same dataset as its bytes; storage still gets the bytes', async () => {
    const saved: Uint8Array[] = [];
    const api = new StudioApi(environment(saved));
    await api.init('cpu');
    const bytes = generated(40_000);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    const split = { evalFraction: 0.2, seed: 3 };

    const events: [string, number, number][] = [];
    const fromFile = await api.loadDataset('faq.jsonl', new File([bytes], 'faq.jsonl'), split, undefined, (stage, done, total) => events.push([stage, done, total]));
    expect(events[0]).toEqual(['reading faq.jsonl', 0, bytes.length]);
    expect(events.at(-1)).toEqual(['reading faq.jsonl', bytes.length, bytes.length]);
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) expect(events[i][1]).toBeGreaterThanOrEqual(events[i - 1][1]);
    expect(saved.at(-1)).toEqual(bytes);

    const fromBytes = await api.loadDataset('faq.jsonl', bytes, split);
    expect(fromFile).toEqual(fromBytes);
    expect(fromFile.rows).toBe(40_000);
    expect(fromFile.issues.map((i) => [i.line, i.code])).toEqual([[11, 'bad-json']]);
  });
});
