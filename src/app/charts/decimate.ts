export interface Series {
  readonly x: number[];
  readonly y: number[];
}

/**
 * At most about `maxPoints` points of a line whose x grows, keeping its look: the line is cut into
 * `maxPoints / 2` buckets of equal count and each keeps its lowest and its highest point, in x order,
 * so spikes survive (a stride sample would drop them); the first and last points are always kept.
 * A chart's SVG cost grows with its points, and a long run has far more steps than the chart has
 * pixels. Lines of `maxPoints` points or fewer come back whole.
 */
export function decimateMinMax(x: readonly number[], y: readonly number[], maxPoints: number): Series {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints || maxPoints < 4) return { x: x.slice(0, n), y: y.slice(0, n) };
  const outX: number[] = [x[0]];
  const outY: number[] = [y[0]];
  // The first and last points are kept apart; the buckets share what lies between them.
  const inner = n - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      // NaN never wins a comparison, so a bucket of finite values keeps finite extremes.
      if (y[i] < y[lo] || Number.isNaN(y[lo])) lo = i;
      if (y[i] > y[hi] || Number.isNaN(y[hi])) hi = i;
    }
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    outX.push(x[first]);
    outY.push(y[first]);
    if (second !== first) {
      outX.push(x[second]);
      outY.push(y[second]);
    }
  }
  outX.push(x[n - 1]);
  outY.push(y[n - 1]);
  return { x: outX, y: outY };
}
