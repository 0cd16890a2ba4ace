import { describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../worker/protocol.ts';
import { panelBlocker } from './panel-blocker.ts';

const dataset = (patch: Partial<DatasetInfo>): DatasetInfo => ({
  file: 'f.jsonl', shape: 'pairs', shapeReason: '', columns: [], mapping: null, losses: ['mnrl'], rows: 10, totalLines: 10, skippedRows: 0,
  issues: [], issueTotal: 0, issueCounts: {}, trainRows: 8, evalRows: 2, evalQueries: 2, corpusSize: 2, ...patch,
});

describe('panelBlocker', () => {
  it('says why Train is off when the data has no usable rows, and nothing when it has', () => {
    expect(panelBlocker('data', { model: true, dataset: dataset({}), trained: false })).toBeNull();
    expect(panelBlocker('data', { model: true, dataset: dataset({ rows: 0, trainRows: 0, shape: null }), trained: false })).toMatch(/no usable rows yet: map its columns/);
    expect(panelBlocker('data', { model: true, dataset: dataset({ rows: 0, trainRows: 0 }), trained: false })).toMatch(/every row was refused/);
    expect(panelBlocker('data', { model: true, dataset: dataset({ trainRows: 0 }), trained: false })).toMatch(/no training rows/);
    expect(panelBlocker('data', { model: true, dataset: null, trained: false })).toBe('load a dataset first');
    expect(panelBlocker('data', { model: false, dataset: null, trained: false })).toBe('load a model first');
    expect(panelBlocker('trained', { model: true, dataset: null, trained: true })).toBeNull();
  });
});
