import { create } from 'zustand';
import type { Comparison, ProjectionPoint } from '../../../worker/protocol.ts';
import type { MapMethod } from '../../../worker/protocol-checks.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

export type JobState = 'idle' | 'running' | 'done' | 'failed';

export interface CompareResults {
  /** The map drawn: UMAP, t-SNE or PCA. */
  method: MapMethod;
  /** What the results were computed for: settings + session revision (weights/data). */
  key: string | null;
  comparison: Comparison | null;
  projection: readonly ProjectionPoint[] | null;
  compareState: JobState;
  projectState: JobState;
  compareError: string | null;
  projectError: string | null;
}

export const TOP_K = 5;

export function compareKey(settings: RetrievalSettings, revision: number): string {
  return JSON.stringify([revision, settings.pooling, settings.normalize, settings.includePrompt, settings.queryTemplate, settings.corpusTemplate]);
}

/**
 * Compare + projection results live here so leaving the panel neither loses nor recomputes them;
 * compare-actions.ts computes them in the worker.
 */
export const useCompare = create<CompareResults>()(() => ({
  method: 'umap',
  key: null,
  comparison: null,
  projection: null,
  compareState: 'idle',
  projectState: 'idle',
  compareError: null,
  projectError: null,
}));
