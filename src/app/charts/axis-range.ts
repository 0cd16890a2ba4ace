const STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (× a power of ten) that is ≥ v; v > 0. */
export function niceCeiling(v: number): number {
  const scale = 10 ** Math.floor(Math.log10(v));
  for (const s of STEPS) {
    // Rounded so 0.3 / 0.1 style float noise never skips a step.
    const candidate = Number((s * scale).toPrecision(12));
    if (candidate >= v) return candidate;
  }
  return 10 * scale;
}

/**
 * A value axis from zero (or below it, for negative values) to a round number above the data,
 * with a little headroom. A growing curve keeps the same range until it crosses the next round
 * number, and Plotly only redraws the axes (ticks, grid: the costly part of a redraw) when the
 * range changes; autorange would move it at every new extreme. [0, 1] while there is no data.
 */
export function stableRange(values: readonly number[], headroom = 0.04): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  return [lo < 0 ? -niceCeiling(-lo + span * headroom) : 0, hi > 0 ? niceCeiling(hi + span * headroom) : lo < 0 ? 0 : 1];
}
