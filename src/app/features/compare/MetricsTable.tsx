import type { Comparison } from '../../../worker/protocol.ts';
import { formatDelta, formatMetric } from '../train/format.ts';
import { metricDeltas } from './per-query.ts';

/** Base vs fine-tuned on the eval split, with signed deltas in green (better) or red (worse). */
export function MetricsTable({ comparison }: { comparison: Comparison }) {
  const rows = metricDeltas(comparison);
  return (
    <table className="metrics-table" data-testid="compare-metrics" aria-label="Retrieval metrics before and after fine-tuning">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" className="num">Base</th>
          <th scope="col" className="num">Fine-tuned</th>
          <th scope="col" className="num">Δ</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            <td className="num">{formatMetric(r.before)}</td>
            <td className="num">{formatMetric(r.after)}</td>
            <td className={`num ${r.direction === 'up' ? 'delta-up' : r.direction === 'down' ? 'delta-down' : 'muted'}`}>
              {r.direction === 'up' ? '▲ ' : r.direction === 'down' ? '▼ ' : ''}
              {formatDelta(r.delta)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
