import type { Layout } from 'plotly.js-basic-dist-min';

export interface ChartColors {
  readonly fg: string;
  readonly muted: string;
  readonly bg: string;
  readonly panel: string;
  readonly border: string;
  readonly accent: string;
  readonly ok: string;
  readonly warn: string;
  readonly err: string;
}

const FALLBACK: ChartColors = {
  fg: '#1d1f21', muted: '#5f6368', bg: '#f7f7f5', panel: '#ffffff', border: '#d9dad7', accent: '#2457c5', ok: '#1e7d3a', warn: '#9a6200', err: '#b3261e',
};

/** The theme's CSS variables as Plotly wants them (Plotly cannot read `var(--x)`). */
export function readChartColors(): ChartColors {
  if (typeof document === 'undefined') return FALLBACK;
  const css = getComputedStyle(document.documentElement);
  const get = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: get('--fg', FALLBACK.fg), muted: get('--muted', FALLBACK.muted), bg: get('--bg', FALLBACK.bg), panel: get('--panel', FALLBACK.panel),
    border: get('--border', FALLBACK.border), accent: get('--accent', FALLBACK.accent), ok: get('--ok', FALLBACK.ok),
    warn: get('--warn', FALLBACK.warn), err: get('--err', FALLBACK.err),
  };
}

/** A qualitative palette readable on both light and dark panels (Tableau 10). */
export const GROUP_PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#17becf'] as const;

/** Base layout: transparent background, theme text and grid colours, tight margins. */
export function themedLayout(c: ChartColors, height: number, patch: Partial<Layout> = {}): Partial<Layout> {
  // Our margins leave room for the tick labels, so Plotly need not measure every label (a bounding
  // box each, forcing layout) to hide the ones that spill over: that was a third of an axis redraw.
  const axis = { color: c.muted, gridcolor: c.border, zerolinecolor: c.border, linecolor: c.border, ticklabeloverflow: 'allow' as const };
  return {
    height,
    autosize: true,
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: c.fg, size: 11 },
    margin: { l: 48, r: 12, t: 28, b: 36 },
    legend: { orientation: 'h', y: -0.18, font: { color: c.fg } },
    hoverlabel: { bgcolor: c.panel, bordercolor: c.border, font: { color: c.fg } },
    ...patch,
    xaxis: { ...axis, ...patch.xaxis },
    yaxis: { ...axis, ...patch.yaxis },
  };
}
