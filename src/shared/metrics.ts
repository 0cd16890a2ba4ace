/**
 * Retrieval metrics under one spelling everywhere: sentence-transformers'
 * InformationRetrievalEvaluator keys without its `{name}_{score_function}_` prefix, so a
 * metric reads `mrr@10` in the page, the worker, saved runs, the CLI and the model card alike.
 */

export const RETRIEVAL_METRIC_KEYS = ['accuracy@1', 'recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10', 'map@100'] as const;
export type RetrievalMetricKey = (typeof RETRIEVAL_METRIC_KEYS)[number];
export type RetrievalMetrics = Readonly<Record<RetrievalMetricKey, number>>;

/** How the page and the card print each metric. */
export const METRIC_LABELS: Readonly<Record<RetrievalMetricKey, string>> = {
  'accuracy@1': 'Accuracy@1',
  'recall@1': 'Recall@1',
  'recall@5': 'Recall@5',
  'recall@10': 'Recall@10',
  'mrr@10': 'MRR@10',
  'ndcg@10': 'NDCG@10',
  'map@100': 'MAP@100',
};

/** The evaluator's full key, e.g. `cosine_ndcg@10`, as sentence-transformers writes it in eval results. */
export function evaluatorKey(key: RetrievalMetricKey, scoreFunction = 'cosine'): string {
  return `${scoreFunction}_${key}`;
}

/** The metrics out of an evaluator-style record (`cosine_mrr@10`, …); a missing key is an error. */
export function metricsFromEvaluator(record: Readonly<Record<string, number>>, scoreFunction = 'cosine'): RetrievalMetrics {
  const out = {} as Record<RetrievalMetricKey, number>;
  for (const key of RETRIEVAL_METRIC_KEYS) {
    const value = record[evaluatorKey(key, scoreFunction)];
    if (typeof value !== 'number') throw new Error(`evaluator results lack ${evaluatorKey(key, scoreFunction)}`);
    out[key] = value;
  }
  return out;
}

/** The camelCase names runs saved before the metrics had one spelling used (mrrAt10, …). */
const LEGACY_NAMES: Readonly<Record<RetrievalMetricKey, string>> = {
  'accuracy@1': 'accuracyAt1',
  'recall@1': 'recallAt1',
  'recall@5': 'recallAt5',
  'recall@10': 'recallAt10',
  'mrr@10': 'mrrAt10',
  'ndcg@10': 'ndcgAt10',
  'map@100': 'mapAt100',
};

/**
 * Metrics as stored by any version of the studio: today's keys, or the camelCase ones of runs
 * saved before. Null when the value holds neither (a record from elsewhere, or damaged).
 */
export function readStoredMetrics(value: unknown): RetrievalMetrics | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const out = {} as Record<RetrievalMetricKey, number>;
  for (const key of RETRIEVAL_METRIC_KEYS) {
    const v = record[key] ?? record[LEGACY_NAMES[key]];
    if (typeof v !== 'number') return null;
    out[key] = v;
  }
  return out;
}

/** The three a chart or a summary shows when there is room for only a few. */
export const HEADLINE_METRICS: readonly RetrievalMetricKey[] = ['mrr@10', 'ndcg@10', 'recall@10'];

/** Metric keys with the labels the page prints, in the order given. */
export function labelledMetrics(keys: readonly RetrievalMetricKey[]): { readonly key: RetrievalMetricKey; readonly label: string }[] {
  return keys.map((key) => ({ key, label: METRIC_LABELS[key] }));
}
