import { create } from 'zustand';
import type { Comparison, ProjectionPoint } from '../../../worker/protocol.ts';
import type { MapMethod } from '../../../worker/protocol-checks.ts';
import { useSession } from '../../session-store.ts';
import { callback, studio } from '../../worker-client.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';
import { MAP_LABELS } from '../../../shared/names.ts';

type JobState = 'idle' | 'running' | 'done' | 'failed';

interface CompareResults {
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

interface CompareStore extends CompareResults {
  /** Runs compare, then the projection, unless results for these settings exist or are on their way. */
  ensure(settings: RetrievalSettings, revision: number, force?: boolean): Promise<void>;
  /** Draws the maps with another method (the comparison stays). */
  setMethod(method: MapMethod, settings: RetrievalSettings, revision: number): Promise<void>;
}

export const TOP_K = 5;

export function compareKey(settings: RetrievalSettings, revision: number): string {
  return JSON.stringify([revision, settings.pooling, settings.normalize, settings.includePrompt, settings.queryTemplate, settings.corpusTemplate]);
}

/**
 * A job's progress callback and its end. Progress messages travel on their own channel and can
 * arrive after the job's result, so a closed job ignores them instead of reappearing.
 */
function progress(id: string, label: string) {
  let open = true;
  useSession.getState().setJob(id, { label, done: 0, total: 0, cancel: () => void studio().cancelJob() });
  return {
    report: callback((stage: string, done: number, total: number) => {
      if (open) useSession.getState().setJob(id, { label: `${label}: ${stage}`, done, total });
    }),
    close: () => {
      open = false;
      useSession.getState().setJob(id, null);
    },
  };
}

type Set = (patch: Partial<CompareResults>) => void;
type Get = () => CompareResults;

/** compare() then project(); a result is kept only if nobody asked for other settings meanwhile. */
async function runJobs(key: string, settings: RetrievalSettings, set: Set, get: Get, method: MapMethod): Promise<void> {
  const comparing = progress('compare', 'Comparing');
  try {
    const comparison = await studio().compare(settings, TOP_K, comparing.report);
    if (get().key !== key) return;
    set({ comparison, compareState: 'done', projectState: 'running' });
  } catch (e) {
    if (get().key === key) set({ compareState: 'failed', compareError: (e as Error).message });
    return;
  } finally {
    comparing.close();
  }
  await runProjection(key, settings, set, get, method);
}

async function runProjection(key: string, settings: RetrievalSettings, set: Set, get: Get, method: MapMethod): Promise<void> {
  const projecting = progress('project', MAP_LABELS[method]);
  try {
    const projection = await studio().project(settings, projecting.report, method);
    if (get().key === key && get().method === method) set({ projection, projectState: 'done' });
  } catch (e) {
    if (get().key === key && get().method === method) set({ projectState: 'failed', projectError: (e as Error).message });
  } finally {
    projecting.close();
  }
  // The method was changed while this one was drawn: draw the one now asked for.
  const now = get().method;
  if (get().key === key && now !== method) await runProjection(key, settings, set, get, now);
}

/** A request that came while a job ran; served when it ends (the worker does one long job at a time). */
let queued: { settings: RetrievalSettings; revision: number; force: boolean } | null = null;

/** Compare + projection results live here so leaving the panel neither loses nor recomputes them. */
export const useCompare = create<CompareStore>()((set, get) => ({
  method: 'umap',
  key: null,
  comparison: null,
  projection: null,
  compareState: 'idle',
  projectState: 'idle',
  compareError: null,
  projectError: null,
  async ensure(settings, revision, force = false) {
    const key = compareKey(settings, revision);
    const s = get();
    if (s.compareState === 'running' || s.projectState === 'running') {
      if (s.key !== key || force) queued = { settings, revision, force };
      return;
    }
    if (!force && s.key === key && s.compareState !== 'idle') return;
    set({ key, comparison: null, projection: null, compareState: 'running', projectState: 'idle', compareError: null, projectError: null });
    try {
      await runJobs(key, settings, set, get, get().method);
    } finally {
      const next = queued;
      queued = null;
      if (next) void get().ensure(next.settings, next.revision, next.force);
    }
  },
  async setMethod(method, settings, revision) {
    const s = get();
    if (s.method === method) return;
    set({ method });
    const key = compareKey(settings, revision);
    // Mid-comparison, the new method is picked up when the comparison's projection starts.
    if (s.compareState === 'running' || s.projectState === 'running' || s.key !== key || !s.comparison) return;
    set({ projection: null, projectState: 'running', projectError: null });
    await runProjection(key, settings, set, get, method);
  },
}));
