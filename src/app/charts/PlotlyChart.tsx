import type { Config, Data, Layout } from 'plotly.js-basic-dist-min';
import { useEffect, useRef, useState } from 'react';
import { useSettings } from '../settings-store.ts';
import { ErrorNote } from '../ui/ErrorNote.tsx';
import { liveLayout, sameFigure, withGaps } from './live-figure.ts';
import { readChartColors, type ChartColors } from './theme.ts';
import { throttle, type Throttled } from './throttle.ts';

type PlotlyModule = typeof import('plotly.js-basic-dist-min');

let plotly: Promise<PlotlyModule> | null = null;

/**
 * Plotly is loaded once, on the first chart that needs it. Every chart here is a 2-D `scatter`, so
 * the basic bundle (scatter, bar, pie: 1.2 MB) does: the full one (4.8 MB) held the main thread for
 * ~1.8 s while it evaluated, the basic one ~0.4 s (Chromium, this VM), and updates cost the same.
 */
export function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-basic-dist-min').then((m) => ((m as unknown as { default?: PlotlyModule }).default ?? m));
  return plotly;
}

export interface PlotlyChartProps {
  /** Builds the figure from the theme colours (re-run when the theme flips). */
  readonly figure: (colors: ChartColors) => { data: Data[]; layout: Partial<Layout> };
  /** Reserved height in px: the box has it before Plotly arrives, so nothing jumps. */
  readonly height: number;
  readonly testId?: string;
  readonly label: string;
  /** At most one redraw per this many ms (default 200 = 5 updates/s). */
  readonly minIntervalMs?: number;
  readonly config?: Partial<Config>;
  /**
   * The data changes often and the layout rarely (a curve growing while training): updates take
   * Plotly's transition path, which redraws only the traces (and the axes when their range moves)
   * instead of the whole figure, and empty traces hold a gap. See live-figure.ts.
   */
  readonly live?: boolean;
}

let colorCache: { theme: string | undefined; colors: ChartColors } | null = null;

/**
 * The theme's colours, read again only when the page's theme changes: getComputedStyle forces a
 * style recalculation, which costs every redraw while React has just changed the DOM.
 */
function themeColors(): ChartColors {
  const theme = typeof document === 'undefined' ? undefined : document.documentElement.dataset.theme;
  if (!colorCache || colorCache.theme !== theme) colorCache = { theme, colors: readChartColors() };
  return colorCache.colors;
}

/**
 * Runs `fn` in a task of its own, so a chart's redraw never lengthens the React commit (or another
 * chart's redraw) that asked for it. Returns a cancel function.
 */
export function inOwnTask(fn: () => void): () => void {
  const id = setTimeout(fn, 0);
  return () => clearTimeout(id);
}

/**
 * A Plotly chart updated with Plotly.react, throttled so a fast stream of updates never blocks the
 * main thread. The figure function may change every render; only the latest one is drawn.
 */
export function PlotlyChart({ figure, height, testId, label, minIntervalMs = 200, config, live = false }: PlotlyChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const latest = useRef(figure);
  const drawer = useRef<Throttled | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const theme = useSettings((s) => s.theme);
  latest.current = figure;

  useEffect(() => {
    let alive = true;
    let plotlyModule: PlotlyModule | null = null;
    let cancelDraw: (() => void) | null = null;
    let configured = false;
    let drawn: { data: Data[]; layout: Partial<Layout> } | null = null;
    const el = box.current;
    const draw = () => {
      cancelDraw = null;
      if (!alive || !plotlyModule || !el) return;
      const next = latest.current(themeColors());
      if (drawn && sameFigure(drawn, next)) return;
      drawn = next;
      // Plotly writes into the figure it is given (uids, ranges): it gets a copy, `drawn` stays as built.
      const copy = structuredClone(next);
      const data = live ? withGaps(copy.data) : copy.data;
      const sized = { ...copy.layout, height };
      // The config is fixed per mount: given again, Plotly would rebuild and compare its whole
      // context on every redraw (a few ms each).
      const once = configured ? undefined : { displaylogo: false, responsive: true, ...config };
      configured = true;
      void plotlyModule.react(el, data, live ? liveLayout(sized) : sized, once);
    };
    const t = throttle(() => {
      cancelDraw ??= inOwnTask(draw);
    }, minIntervalMs);
    drawer.current = t;
    loadPlotly().then(
      (m) => {
        plotlyModule = m;
        t.request();
      },
      (e: unknown) => alive && setFailed((e as Error).message),
    );
    return () => {
      alive = false;
      t.cancel();
      cancelDraw?.();
      drawer.current = null;
      if (plotlyModule && el) plotlyModule.purge(el);
    };
    // The chart is built once per mount; later figures flow through `latest` + the throttle.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Every render with a new figure asks for a redraw.
  useEffect(() => {
    drawer.current?.request();
  }, [figure]);

  // A theme flip redraws a frame later: the shell sets data-theme in its own effect, which runs
  // after this one (children first), and the colours are read from the CSS variables.
  useEffect(() => {
    const id = requestAnimationFrame(() => drawer.current?.request());
    return () => cancelAnimationFrame(id);
  }, [theme]);

  return (
    <div className="chart-box" style={{ height }} data-testid={testId} role="img" aria-label={label}>
      {failed ? <ErrorNote error={`Could not load the charting library: ${failed}`} /> : <div ref={box} className="chart-canvas" />}
    </div>
  );
}
