import { deltaDirection, formatDelta, formatMetric } from './format.ts';

export interface MetricRow {
  /** Stable id, also written to `data-metric` on the value cell ("mrr@10"). */
  readonly key: string;
  readonly label: string;
  readonly value: number | null;
  /** The value compared against (pinned, before…); a delta column appears when any row has one. */
  readonly baseline?: number | null;
}

interface MetricsTableProps {
  rows: readonly MetricRow[];
  caption?: string;
  valueTitle?: string;
  baselineTitle?: string;
  /** Show the baseline and delta columns even while no baseline exists (keeps the width stable). */
  alwaysShowBaseline?: boolean;
  testId?: string;
}

/** Metric values with optional baseline and signed deltas (green up, red down). */
export function MetricsTable({ rows, caption, valueTitle = 'Value', baselineTitle = 'Baseline', alwaysShowBaseline, testId }: MetricsTableProps) {
  const withBaseline = alwaysShowBaseline || rows.some((r) => r.baseline !== undefined);
  return (
    <table className="metrics-table" data-testid={testId}>
      {caption && <caption>{caption}</caption>}
      <thead>
        <tr>
          <th scope="col">Metric</th>
          {withBaseline && <th scope="col" className="num">{baselineTitle}</th>}
          <th scope="col" className="num">{valueTitle}</th>
          {withBaseline && <th scope="col" className="num">Δ</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const hasDelta = r.value !== null && r.baseline !== undefined && r.baseline !== null;
          const d = hasDelta ? (r.value as number) - (r.baseline as number) : 0;
          const dir = hasDelta ? deltaDirection(d) : 'same';
          return (
            <tr key={r.key}>
              <th scope="row">{r.label}</th>
              {withBaseline && (
                <td className="num" data-baseline-metric={r.key}>{formatMetric(r.baseline ?? null)}</td>
              )}
              <td className="num" data-metric={r.key} data-value={r.value ?? ''}>{formatMetric(r.value)}</td>
              {withBaseline && (
                <td className={`num ${dir === 'up' ? 'delta-up' : dir === 'down' ? 'delta-down' : 'muted'}`} data-delta={r.key}>
                  {hasDelta ? `${dir === 'up' ? '▲ ' : dir === 'down' ? '▼ ' : ''}${formatDelta(d)}` : '—'}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
