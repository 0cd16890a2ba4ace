import { useCallback } from 'react';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { GROUP_PALETTE, themedLayout, type ChartColors } from '../../charts/theme.ts';
import type { EvalPoint } from './run-state.ts';
import { HEADLINE_METRICS, labelledMetrics } from '../../../shared/metrics.ts';

const LINES = labelledMetrics(HEADLINE_METRICS).map(({ key, label }) => ({ key, name: label }));

/** Retrieval metrics on the eval split over steps (step 0 = the base model). */
export function EvalChart({ evals, totalSteps }: { evals: readonly EvalPoint[]; totalSteps: number }) {
  const figure = useCallback(
    (c: ChartColors) => ({
      data: LINES.map((l, i) => ({
        type: 'scatter' as const,
        mode: 'lines+markers' as const,
        name: l.name,
        x: evals.map((e) => e.step),
        y: evals.map((e) => e.metrics[l.key]),
        line: { color: GROUP_PALETTE[i], width: 2 },
        marker: { size: 5 },
        hovertemplate: `${l.name} %{y:.4f} at step %{x}<extra></extra>`,
      })),
      layout: themedLayout(c, 240, {
        title: { text: 'Eval metrics', font: { size: 12, color: c.fg }, x: 0, xanchor: 'left' },
        xaxis: { title: { text: 'step' }, range: [0, Math.max(totalSteps, 1)] },
        yaxis: { range: [0, 1.02] },
        legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.12, font: { color: c.fg } },
      }),
    }),
    [evals, totalSteps],
  );
  return <PlotlyChart figure={figure} height={240} testId="eval-chart" label={`Eval metrics over ${evals.length} evaluations`} live />;
}
