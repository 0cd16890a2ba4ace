/** Pure helpers of the playground: metric rows, pooling choices, request keys, eval query lists. */
import type { EvalSummary, PreviewRow } from '../../../worker/protocol.ts';
import type { MetricRow } from '../../ui/MetricsTable.tsx';
import type { PoolingModeName } from '../../../shared/names.ts';
import { labelledMetrics, type RetrievalMetrics } from '../../../shared/metrics.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';
import type { WeightsState } from '../../../shared/events.ts';

export const TOP_K = 10;

export const PLAYGROUND_METRICS: readonly { key: string; label: string; pick(m: RetrievalMetrics): number }[] = labelledMetrics(['mrr@10', 'ndcg@10', 'recall@1', 'recall@5', 'recall@10']).map(
  ({ key, label }) => ({ key, label, pick: (m: RetrievalMetrics) => m[key] }),
);

/** Current metrics against the pinned ones (baseline), for MetricsTable. */
export function metricRows(current: RetrievalMetrics | null, pinned: RetrievalMetrics | null | undefined): MetricRow[] {
  return PLAYGROUND_METRICS.map((d) => ({
    key: d.key,
    label: d.label,
    value: current ? d.pick(current) : null,
    ...(pinned !== undefined ? { baseline: pinned ? d.pick(pinned) : null } : {}),
  }));
}

/** sentence-transformers' six pooling modes, with what each does. */
export const POOLING_OPTIONS: readonly { value: PoolingModeName; label: string }[] = [
  { value: 'mean', label: 'mean — average of token vectors' },
  { value: 'cls', label: 'cls — the [CLS] token' },
  { value: 'max', label: 'max — per-dimension maximum' },
  { value: 'mean_sqrt_len_tokens', label: 'mean_sqrt_len_tokens — sum / √length' },
  { value: 'weightedmean', label: 'weightedmean — position-weighted mean' },
  { value: 'lasttoken', label: 'lasttoken — the last real token' },
];

/** A stable key for a request's inputs (object keys sorted at every depth): a change of key means "run again". */
export function requestKey(parts: Record<string, unknown>): string {
  return JSON.stringify(parts, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** Only the settings fields, in a fixed order (objects from storage may carry extra keys). */
export function plainSettings(s: RetrievalSettings): RetrievalSettings {
  return { pooling: s.pooling, normalize: s.normalize, includePrompt: s.includePrompt, queryTemplate: s.queryTemplate, corpusTemplate: s.corpusTemplate };
}

export function sameSettings(a: RetrievalSettings | null, b: RetrievalSettings | null): boolean {
  return a !== null && b !== null && JSON.stringify(plainSettings(a)) === JSON.stringify(plainSettings(b));
}

/** The fields where two settings differ, in words: "pooling cls → mean, normalize on → off". */
export function settingsDiff(pinned: RetrievalSettings, current: RetrievalSettings): string[] {
  const out: string[] = [];
  const onOff = (b: boolean) => (b ? 'on' : 'off');
  if (pinned.pooling !== current.pooling) out.push(`pooling ${pinned.pooling} → ${current.pooling}`);
  if (pinned.normalize !== current.normalize) out.push(`normalize ${onOff(pinned.normalize)} → ${onOff(current.normalize)}`);
  if (pinned.includePrompt !== current.includePrompt) out.push(`include prompt ${onOff(pinned.includePrompt)} → ${onOff(current.includePrompt)}`);
  if (pinned.queryTemplate !== current.queryTemplate) out.push(`query template ${JSON.stringify(pinned.queryTemplate)} → ${JSON.stringify(current.queryTemplate)}`);
  if (pinned.corpusTemplate !== current.corpusTemplate) out.push(`document template ${JSON.stringify(pinned.corpusTemplate)} → ${JSON.stringify(current.corpusTemplate)}`);
  return out;
}

/** A warning for a template without {text} (the worker then uses it as a prefix). */
export function templateWarning(template: string): string | null {
  return template.includes('{text}') ? null : 'no {text} in the template: it is used as a prefix of every text';
}

/** Distinct eval-split anchors in row order: the queries the eval set ranks the corpus for. */
export function evalQueriesFrom(rows: readonly PreviewRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows) {
    const q = r.texts[0];
    if (r.split === 'eval' && q !== undefined && !seen.has(q)) {
      seen.add(q);
      out.push(q);
    }
  }
  return out;
}

export function evalTime(summary: EvalSummary | null): number | null {
  return summary ? summary.milliseconds : null;
}

export const WEIGHT_LABELS: Readonly<Record<WeightsState, string>> = { base: 'Base model', trained: 'Fine-tuned' };
