import type { Data, Layout } from 'plotly.js-basic-dist-min';

/*
 * Plotly.react redraws the whole figure (axes, ticks, titles, legend, hover layers) whenever a data
 * array changes: 50–280 ms a redraw on a CPU shared with the GPU emulation, once per training step.
 * A live chart (a curve that grows while the layout stays) avoids that with three things below.
 */

/**
 * With `layout.transition` set (duration 0: nothing animates) a change of data arrays and axis
 * ranges only — what Plotly calls animatable — recomputes and redraws the traces alone, and the
 * axes only when their range moved. Any other change (theme colours, a title) still ends in a full
 * redraw, so the figure stays declarative.
 */
export function liveLayout(layout: Partial<Layout>): Partial<Layout> {
  return { ...layout, transition: { duration: 0, easing: 'linear', ordering: 'layout first' } };
}

/**
 * Plotly hides a trace without points (`visible: false` in its full data), and showing it again is
 * not animatable: the first point of a curve would redraw the whole figure. A trace holding one gap
 * (x and y null) stays visible and draws nothing, so the first point takes the transition path too.
 * A gap is not a point: e2e/support/browser.ts `plotlyTraces` does not count it.
 */
export function withGaps(data: readonly Data[]): Data[] {
  return data.map((t) => {
    const { x } = t as { x?: ArrayLike<unknown> };
    return x !== undefined && x.length === 0 ? ({ ...t, x: [null], y: [null] } as Data) : t;
  });
}

/**
 * Structural equality of two figures (plain data: numbers, strings, booleans, null, arrays and
 * objects). A redraw of an unchanged figure still costs Plotly its defaults and diff (10–50 ms):
 * a new array with the same points — an event batch that changed only the progress — is skipped.
 */
export function sameFigure(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameFigure(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameFigure((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
