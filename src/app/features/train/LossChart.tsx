import { useCallback } from 'react';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { themedLayout, type ChartColors } from '../../charts/theme.ts';
import { smoothLoss } from './run-state.ts';

export interface LossChartProps {
  readonly steps: readonly number[];
  readonly losses: readonly number[];
  readonly totalSteps: number;
  readonly lossName: string;
}

/** Per-step loss (faint) and its smoothed trend; the x axis spans the whole run so it never rescales. */
export function LossChart({ steps, losses, totalSteps, lossName }: LossChartProps) {
  const figure = useCallback(
    (c: ChartColors) => ({
      data: [
        { type: 'scatter' as const, mode: 'lines' as const, name: 'loss', x: [...steps], y: [...losses], line: { color: c.muted, width: 1 }, opacity: 0.45, hovertemplate: 'step %{x}<br>loss %{y:.4f}<extra></extra>' },
        { type: 'scatter' as const, mode: 'lines' as const, name: 'smoothed', x: [...steps], y: smoothLoss(losses), line: { color: c.accent, width: 2 }, hovertemplate: 'step %{x}<br>smoothed %{y:.4f}<extra></extra>' },
      ],
      layout: themedLayout(c, 240, {
        title: { text: `Training loss (${lossName})`, font: { size: 12, color: c.fg }, x: 0, xanchor: 'left' },
        xaxis: { title: { text: 'step' }, range: [0, Math.max(totalSteps, 1)] },
        yaxis: { rangemode: 'tozero' },
        showlegend: false,
      }),
    }),
    [steps, losses, totalSteps, lossName],
  );
  return <PlotlyChart figure={figure} height={240} testId="loss-chart" label={`Training loss curve, ${losses.length} steps`} />;
}
