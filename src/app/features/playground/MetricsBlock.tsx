import type { EvalSummary } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { formatMs } from '../../ui/format.ts';
import { MetricsTable } from '../../ui/MetricsTable.tsx';
import type { AsyncResult } from '../../ui/use-latest-async.ts';
import { metricRows } from './playground-selectors.ts';

interface MetricsBlockProps {
  current: AsyncResult<EvalSummary>;
  /** Absent while nothing is pinned. */
  pinned?: AsyncResult<EvalSummary>;
  queries: number;
  corpus: number;
}

/** Eval-split metrics under the current setting, against the pinned one when there is one. */
export function MetricsBlock({ current, pinned, queries, corpus }: MetricsBlockProps) {
  const state = current.error ? 'error' : current.pending || !current.data ? 'pending' : 'ready';
  const rows = metricRows(current.data?.metrics ?? null, pinned ? (pinned.data?.metrics ?? null) : null);
  return (
    <section className="pg-metrics" data-testid="playground-metrics" data-state={state} aria-busy={state === 'pending'} aria-label="Evaluation metrics">
      <MetricsTable rows={rows} valueTitle="Current" baselineTitle="Pinned" alwaysShowBaseline />
      <p className="muted small eval-time">
        {queries} eval queries × {corpus} documents ·{' '}
        {current.data ? <>evaluated in <span data-testid="playground-eval-ms">{formatMs(current.data.milliseconds)}</span></> : 'evaluating…'}
        {pinned?.data ? ` · pinned ${formatMs(pinned.data.milliseconds)}` : ''}
        <span className="pending-dot" aria-hidden={state !== 'pending'}>{state === 'pending' ? ' · updating…' : ''}</span>
      </p>
      <ErrorNote error={current.error ?? pinned?.error} />
    </section>
  );
}
