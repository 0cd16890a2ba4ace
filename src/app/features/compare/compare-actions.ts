import type { MapMethod } from '../../../worker/protocol-checks.ts';
import { openJob } from '../../jobs/tracked-job.ts';
import { studio } from '../../worker-client.ts';
import { compareKey, TOP_K, useCompare } from './compare-store.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';
import { MAP_LABELS } from '../../../shared/names.ts';

/** The Compare panel's worker calls (compare, then project); results go into useCompare. */

const set = useCompare.setState;
const get = useCompare.getState;
const cancelJob = () => void studio().cancelJob();

/** compare() then project(); a result is kept only if nobody asked for other settings meanwhile. */
async function runJobs(key: string, settings: RetrievalSettings, method: MapMethod): Promise<void> {
  const comparing = openJob('compare', 'Comparing', { cancel: cancelJob });
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
  await runProjection(key, settings, method);
}

async function runProjection(key: string, settings: RetrievalSettings, method: MapMethod): Promise<void> {
  const projecting = openJob('project', MAP_LABELS[method], { cancel: cancelJob });
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
  if (get().key === key && now !== method) await runProjection(key, settings, now);
}

/** A request that came while a job ran; served when it ends (the worker does one long job at a time). */
let queued: { settings: RetrievalSettings; revision: number; force: boolean } | null = null;

/** Runs compare, then the projection, unless results for these settings exist or are on their way. */
export async function ensureComparison(settings: RetrievalSettings, revision: number, force = false): Promise<void> {
  const key = compareKey(settings, revision);
  const s = get();
  if (s.compareState === 'running' || s.projectState === 'running') {
    if (s.key !== key || force) queued = { settings, revision, force };
    return;
  }
  if (!force && s.key === key && s.compareState !== 'idle') return;
  set({ key, comparison: null, projection: null, compareState: 'running', projectState: 'idle', compareError: null, projectError: null });
  try {
    await runJobs(key, settings, get().method);
  } finally {
    const next = queued;
    queued = null;
    if (next) void ensureComparison(next.settings, next.revision, next.force);
  }
}

/** Draws the maps with another method (the comparison stays). */
export async function setMapMethod(method: MapMethod, settings: RetrievalSettings, revision: number): Promise<void> {
  const s = get();
  if (s.method === method) return;
  set({ method });
  const key = compareKey(settings, revision);
  // Mid-comparison, the new method is picked up when the comparison's projection starts.
  if (s.compareState === 'running' || s.projectState === 'running' || s.key !== key || !s.comparison) return;
  set({ projection: null, projectState: 'running', projectError: null });
  await runProjection(key, settings, method);
}
