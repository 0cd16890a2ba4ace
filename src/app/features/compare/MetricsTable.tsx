import type { Comparison } from '../../../worker/protocol.ts';
import { deltaDirection, formatDelta, formatMetric } from '../../ui/format.ts';
import { METRIC_DIGITS, metricDeltas } from './per-query.ts';

/**
 * BM25 (keyword search), base and fine-tuned on the eval split, with the fine-tuned model's signed
 * deltas over the base in green (better) or red (worse), and over BM25: what fine-tuning buys
 * against the baseline a person would get for free.
 */
export function MetricsTable({ comparison }: { comparison: Comparison }) {
  const rows = metricDeltas(comparison);
  const bm25 = comparison.bm25;
  return (
    <table className="metrics-table" data-testid="compare-metrics" aria-label="Retrieval metrics before and after fine-tuning">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          {bm25 && <th scope="col" className="num">BM25</th>}
          <th scope="col" className="num">Base</th>
          <th scope="col" className="num">Fine-tuned</th>
          <th scope="col" className="num">Δ</th>
          {bm25 && <th scope="col" className="num" title="Fine-tuned minus BM25">vs BM25</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            {bm25 && <td className="num" data-bm25-metric={r.key}>{formatMetric(bm25[r.key], METRIC_DIGITS)}</td>}
            <td className="num">{formatMetric(r.before, METRIC_DIGITS)}</td>
            <td className="num">{formatMetric(r.after, METRIC_DIGITS)}</td>
            <td className={`num ${r.direction === 'up' ? 'delta-up' : r.direction === 'down' ? 'delta-down' : 'muted'}`}>
              {r.direction === 'up' ? '▲ ' : r.direction === 'down' ? '▼ ' : ''}
              {formatDelta(r.delta, METRIC_DIGITS)}
            </td>
            {bm25 && <VsBm25 delta={r.after - bm25[r.key]} />}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VsBm25({ delta }: { delta: number }) {
  const dir = deltaDirection(delta, METRIC_DIGITS);
  return (
    <td className={`num ${dir === 'up' ? 'delta-up' : dir === 'down' ? 'delta-down' : 'muted'}`}>
      {dir === 'up' ? '▲ ' : dir === 'down' ? '▼ ' : ''}
      {formatDelta(delta, METRIC_DIGITS)}
    </td>
  );
}
