/** What the Runs panel shows, computed from plain run records: testable without a browser. */
import type { RunRecord, RunSummary, StorageStatus } from '../../../worker/protocol.ts';
import { formatBytes, formatMetric } from '../../ui/format.ts';
import { LOSS_CLASS_NAMES } from '../train/losses.ts';

/** The same rows, in the same order, as the Compare panel's metrics table. */
export { METRIC_ROWS } from '../compare/per-query.ts';
import { METRIC_ROWS } from '../compare/per-query.ts';
import { TRAINER_DEFAULTS } from '../../../shared/settings.ts';

/** "27 Nov 2026, 21:50" in the reader's locale. */
export function formatRunDate(ms: number, locale?: string): string {
  return new Date(ms).toLocaleString(locale, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "0.412 → 0.538" (or one side as "—"). */
export function mrrChange(run: Pick<RunSummary, 'mrrBefore' | 'mrrAfter'>): string {
  if (run.mrrBefore === null && run.mrrAfter === null) return '—';
  return `${formatMetric(run.mrrBefore)} → ${formatMetric(run.mrrAfter)}`;
}

export const STATE_LABELS: Record<RunSummary['state'], string> = {
  running: 'interrupted',
  paused: 'paused',
  cancelled: 'cancelled',
  finished: 'finished',
  failed: 'failed',
};

export function lossLabel(run: Pick<RunSummary, 'loss' | 'finalLoss'>): string {
  const name = LOSS_CLASS_NAMES[run.loss] ?? run.loss;
  return run.finalLoss === null ? name : `${name} ${run.finalLoss.toFixed(4)}`;
}

/** The download name of a run's history. */
export function historyFileName(run: Pick<RunSummary, 'id' | 'modelName'>): string {
  const model = run.modelName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
  return `${run.id}-${model}.json`;
}

/** Picking runs to compare: at most two; picking a third drops the oldest pick. */
export function toggleSelection(selected: readonly string[], id: string): string[] {
  if (selected.includes(id)) return selected.filter((s) => s !== id);
  return [...selected, id].slice(-2);
}

export interface SettingRow {
  readonly label: string;
  readonly a: string;
  readonly b: string;
  readonly differs: boolean;
}

/** The two runs' set-ups side by side; rows that differ are flagged. */
export function settingRows(a: RunRecord, b: RunRecord): SettingRow[] {
  const rows: [string, (r: RunRecord) => string][] = [
    ['Model', (r) => r.model.name],
    ['Dataset', (r) => r.dataset.name],
    ['Loss', (r) => LOSS_CLASS_NAMES[r.config.loss] ?? r.config.loss],
    ['Epochs', (r) => String(r.config.epochs)],
    ['Batch size', (r) => String(r.config.batchSize)],
    ['Learning rate', (r) => String(r.config.learningRate)],
    ['Scheduler', (r) => r.config.scheduler],
    ['Warm-up steps', (r) => String(r.config.warmupSteps)],
    ['Weight decay', (r) => String(r.config.weightDecay)],
    // Records from before these settings existed trained with the Trainer's defaults.
    ['Adam betas', (r) => `${r.config.adamBeta1 ?? TRAINER_DEFAULTS.beta1}, ${r.config.adamBeta2 ?? TRAINER_DEFAULTS.beta2}`],
    ['Adam epsilon', (r) => String(r.config.adamEpsilon ?? TRAINER_DEFAULTS.eps)],
    ['Max length', (r) => String(r.config.maxSeqLength)],
    ['Matryoshka dims', (r) => (r.config.matryoshkaDims.length ? r.config.matryoshkaDims.join(', ') : '—')],
    ['Seed', (r) => String(r.seed)],
    ['Pooling', (r) => `${r.retrieval.pooling}${r.retrieval.normalize ? ', normalised' : ''}`],
    ['Query template', (r) => r.retrieval.queryTemplate],
    ['Document template', (r) => r.retrieval.corpusTemplate],
    ['Steps', (r) => `${r.step} / ${r.totalSteps}`],
    ['Final loss', (r) => (r.lossCurve.length ? r.lossCurve[r.lossCurve.length - 1].loss.toFixed(4) : '—')],
    ['Training time', (r) => formatDuration(r.durationSeconds)],
    ['State', (r) => STATE_LABELS[r.state]],
    ['Trained on', (r) => r.adapter],
  ];
  return rows.map(([label, get]) => {
    const va = get(a), vb = get(b);
    return { label, a: va, b: vb, differs: va !== vb };
  });
}

export interface MetricCompareRow {
  readonly key: string;
  readonly label: string;
  readonly aBefore: number | null;
  readonly aAfter: number | null;
  readonly bBefore: number | null;
  readonly bAfter: number | null;
  /** Which run ended higher on this metric (null: a tie or unknown). */
  readonly better: 'a' | 'b' | null;
}

export function metricRows(a: RunRecord, b: RunRecord): MetricCompareRow[] {
  return METRIC_ROWS.map(({ key, label }) => {
    const aAfter = a.after?.[key] ?? null, bAfter = b.after?.[key] ?? null;
    const better = aAfter === null || bAfter === null || Number(aAfter.toFixed(3)) === Number(bAfter.toFixed(3)) ? null : aAfter > bAfter ? 'a' : 'b';
    return { key, label, aBefore: a.before?.[key] ?? null, aAfter, bBefore: b.before?.[key] ?? null, bAfter, better };
  });
}

/** "312.4 MiB used of 2.0 GiB · kept persistently" and a warning when space is short. */
export function storageLine(s: StorageStatus): { text: string; warning: string | null; tone: 'ok' | 'warn' | 'error' } {
  if (!s.enabled) return { text: `Nothing is kept between visits: ${s.problem ?? 'no browser storage'}.`, warning: null, tone: 'error' };
  const kept = s.persisted === true ? 'kept persistently' : s.persisted === false ? 'the browser may clear it under storage pressure' : 'persistence unknown';
  if (!s.known) return { text: `Storage use unknown · ${kept}`, warning: null, tone: 'ok' };
  const text = `${formatBytes(s.usage)} used, ${formatBytes(s.available)} available (quota ${formatBytes(s.quota)}) · ${kept}`;
  return { text, warning: s.warning, tone: s.nearlyFull ? 'warn' : 'ok' };
}

/** The fraction of the quota used, for a meter (0 when unknown). */
export function usageFraction(s: StorageStatus): number {
  return s.known && s.quota > 0 ? Math.min(1, s.usage / s.quota) : 0;
}

/** The words Export and the notes use for a saved run's weights. */
export function savedRunLabel(run: Pick<RunRecord, 'created' | 'state' | 'weights' | 'step' | 'totalSteps'>): string {
  return `the run of ${formatRunDate(run.created)} (${run.state === 'running' ? 'interrupted' : run.state} at step ${run.weights?.step ?? run.step} of ${run.totalSteps})`;
}
