import type { Comparison, QueryComparison } from '../../../worker/protocol.ts';
import { labelledMetrics, type RetrievalMetrics } from '../../../shared/metrics.ts';
import { deltaDirection } from '../../ui/format.ts';

/** A rank the worker reports as null (not in the top 100) counts as 101 when measuring a move. */
export const MISSING_RANK = 101;

export interface QueryRow {
  /** Index into Comparison.queries (stable key). */
  readonly index: number;
  readonly query: string;
  readonly rankBefore: number | null;
  readonly rankAfter: number | null;
  /** Places gained: positive = the first relevant document moved up (a win), negative = a regression. */
  readonly gain: number;
}

export type QuerySort = 'gain' | 'loss' | 'order';

export function queryRows(queries: readonly QueryComparison[]): QueryRow[] {
  return queries.map((q, index) => ({
    index,
    query: q.query,
    rankBefore: q.rankBefore,
    rankAfter: q.rankAfter,
    gain: (q.rankBefore ?? MISSING_RANK) - (q.rankAfter ?? MISSING_RANK),
  }));
}

/**
 * 'gain': biggest wins first; 'loss': biggest regressions first (so they are as easy to find as
 * wins); 'order': the dataset's order. Ties keep dataset order; unchanged queries go last in both
 * gain and loss views.
 */
export function sortQueryRows(rows: readonly QueryRow[], sort: QuerySort): QueryRow[] {
  const out = [...rows];
  if (sort === 'order') return out.sort((a, b) => a.index - b.index);
  const sign = sort === 'gain' ? 1 : -1;
  return out.sort((a, b) => {
    const ka = sign * a.gain, kb = sign * b.gain;
    // Moves in the wanted direction first, biggest first; then unchanged; then the other way, smallest first.
    const band = (k: number) => (k > 0 ? 0 : k === 0 ? 1 : 2);
    if (band(ka) !== band(kb)) return band(ka) - band(kb);
    if (kb !== ka) return kb - ka;
    return a.index - b.index;
  });
}

export interface MoveSummary {
  readonly improved: number;
  readonly regressed: number;
  readonly unchanged: number;
}

export function summarizeMoves(rows: readonly QueryRow[]): MoveSummary {
  let improved = 0, regressed = 0;
  for (const r of rows) {
    if (r.gain > 0) improved++;
    else if (r.gain < 0) regressed++;
  }
  return { improved, regressed, unchanged: rows.length - improved - regressed };
}

export const METRIC_ROWS = labelledMetrics(['mrr@10', 'ndcg@10', 'map@100', 'recall@1', 'recall@5', 'recall@10', 'accuracy@1']);

export interface MetricDelta {
  readonly key: keyof RetrievalMetrics;
  readonly label: string;
  readonly before: number;
  readonly after: number;
  readonly delta: number;
  /** 'up' / 'down' at the METRIC_DIGITS shown, else 'same' (no colour for a change that reads as none). */
  readonly direction: 'up' | 'down' | 'same';
}

/** Places the Compare tables show a metric and its change with. */
export const METRIC_DIGITS = 4;

export function metricDeltas(c: Pick<Comparison, 'before' | 'after'>): MetricDelta[] {
  return METRIC_ROWS.map(({ key, label }) => {
    const before = c.before[key], after = c.after[key], delta = after - before;
    return { key, label, before, after, delta, direction: deltaDirection(delta, METRIC_DIGITS) };
  });
}
