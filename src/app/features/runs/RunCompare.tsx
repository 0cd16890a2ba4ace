import { useCallback } from 'react';
import type { RunRecord } from '../../../worker/protocol.ts';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { GROUP_PALETTE, themedLayout, type ChartColors } from '../../charts/theme.ts';
import { formatMetric } from '../../ui/format.ts';
import { smoothLoss } from '../train/run-state.ts';
import { formatRunDate, metricRows, settingRows } from './runs-format.ts';

/** Two saved runs side by side: retrieval metrics before and after, set-ups, and both loss curves. */
export function RunCompare({ a, b }: { a: RunRecord; b: RunRecord }) {
  const metrics = metricRows(a, b);
  const settings = settingRows(a, b);
  const figure = useCallback(
    (c: ChartColors) => {
      const trace = (r: RunRecord, name: string, color: string) => [
        { type: 'scatter' as const, mode: 'lines' as const, name: `${name} loss`, x: r.lossCurve.map((p) => p.step), y: r.lossCurve.map((p) => p.loss), line: { color, width: 1 }, opacity: 0.35, showlegend: false, hovertemplate: `${name} step %{x}<br>loss %{y:.4f}<extra></extra>` },
        { type: 'scatter' as const, mode: 'lines' as const, name, x: r.lossCurve.map((p) => p.step), y: smoothLoss(r.lossCurve.map((p) => p.loss)), line: { color, width: 2 }, hovertemplate: `${name} step %{x}<br>smoothed %{y:.4f}<extra></extra>` },
      ];
      return {
        data: [...trace(a, 'Run A', GROUP_PALETTE[0]), ...trace(b, 'Run B', GROUP_PALETTE[1])],
        layout: themedLayout(c, 260, {
          title: { text: 'Training loss', font: { size: 12, color: c.fg }, x: 0, xanchor: 'left' },
          xaxis: { title: { text: 'step' } },
          yaxis: { rangemode: 'tozero' },
          showlegend: true,
          legend: { orientation: 'h', y: -0.25 },
        }),
      };
    },
    [a, b],
  );

  return (
    <section className="run-compare" aria-labelledby="run-compare-title" data-testid="run-compare">
      <h3 id="run-compare-title">
        Run A ({formatRunDate(a.created)}) and run B ({formatRunDate(b.created)})
      </h3>
      <div className="run-compare-grid">
        <table className="metrics-table" data-testid="run-compare-metrics">
          <caption className="muted small">Retrieval on each run's eval split: before → after fine-tuning</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">A before</th>
              <th scope="col" className="num">A after</th>
              <th scope="col" className="num">B before</th>
              <th scope="col" className="num">B after</th>
            </tr>
          </thead>
          <tbody>
            {metrics.map((m) => (
              <tr key={m.key}>
                <th scope="row">{m.label}</th>
                <td className="num">{formatMetric(m.aBefore)}</td>
                <td className={`num${m.better === 'a' ? ' better' : ''}`}>{formatMetric(m.aAfter)}</td>
                <td className="num">{formatMetric(m.bBefore)}</td>
                <td className={`num${m.better === 'b' ? ' better' : ''}`}>{formatMetric(m.bAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <PlotlyChart figure={figure} height={260} testId="run-compare-loss" label={`Loss curves of run A (${a.lossCurve.length} steps) and run B (${b.lossCurve.length} steps)`} />
      </div>
      <table className="settings-compare small">
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Run A</th>
            <th scope="col">Run B</th>
          </tr>
        </thead>
        <tbody>
          {settings.map((s) => (
            <tr key={s.label} className={s.differs ? 'differs' : undefined}>
              <th scope="row">{s.label}</th>
              <td>{s.a}</td>
              <td>{s.b}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
