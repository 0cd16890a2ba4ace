import { useCallback } from 'react';
import { stableRange } from '../../charts/axis-range.ts';
import { decimateMinMax } from '../../charts/decimate.ts';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { themedLayout, type ChartColors } from '../../charts/theme.ts';
import { smoothLoss } from './run-state.ts';

/**
 * Points drawn per curve: the chart is under 1,000 px wide, and every SVG point costs on each redraw,
 * so a long run shows each bucket's lowest and highest loss instead of every step (runs of up to
 * this many steps are drawn whole).
 */
export const MAX_LOSS_POINTS = 1000;

export interface LossChartProps {
  readonly steps: readonly number[];
  readonly losses: readonly number[];
  readonly totalSteps: number;
  readonly lossName: string;
}

/**
 * Per-step loss (faint) and its smoothed trend. The x axis spans the whole run (`totalSteps`, the
 * planned count until the worker reports its own) so it never rescales.
 */
export function LossChart({ steps, losses, totalSteps, lossName }: LossChartProps) {
  // Built in the chart's own task (PlotlyChart draws at most 5 times a second), not in React's render.
  const figure = useCallback(
    (c: ChartColors) => {
      const raw = decimateMinMax(steps, losses, MAX_LOSS_POINTS);
      const smooth = decimateMinMax(steps, smoothLoss(losses), MAX_LOSS_POINTS);
      return {
        data: [
          { type: 'scatter' as const, mode: 'lines' as const, name: 'loss', x: raw.x, y: raw.y, line: { color: c.muted, width: 1 }, opacity: 0.45, hovertemplate: 'step %{x}<br>loss %{y:.4f}<extra></extra>' },
          { type: 'scatter' as const, mode: 'lines' as const, name: 'smoothed', x: smooth.x, y: smooth.y, line: { color: c.accent, width: 2 }, hovertemplate: 'step %{x}<br>smoothed %{y:.4f}<extra></extra>' },
        ],
        layout: themedLayout(c, 240, {
          title: { text: `Training loss (${lossName})`, font: { size: 12, color: c.fg }, x: 0, xanchor: 'left' },
          xaxis: { title: { text: 'step' }, range: [0, Math.max(totalSteps, 1)] },
          // Not autorange: a range that moves at every new extreme redraws the axes each time.
          yaxis: { range: stableRange(losses) },
          showlegend: false,
        }),
      };
    },
    [steps, losses, totalSteps, lossName],
  );
  return <PlotlyChart figure={figure} height={240} testId="loss-chart" label={`Training loss curve, ${losses.length} steps`} live />;
}
