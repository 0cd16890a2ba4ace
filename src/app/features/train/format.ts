/** "12s", "3m 05s", "1h 02m"; "—" when unknown (no steps yet, or a rate of zero). */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Pairs per second with sensible precision: "0.42", "8.3", "153". */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond) || perSecond <= 0) return '—';
  if (perSecond < 1) return perSecond.toFixed(2);
  if (perSecond < 10) return perSecond.toFixed(1);
  return Math.round(perSecond).toString();
}

/** A learning rate as people write it: 5e-5, 2e-5, 1.5e-4, 0.001. */
export function formatLearningRate(lr: number): string {
  if (lr === 0) return '0';
  if (lr >= 1e-3 && lr < 1e3) return String(Number(lr.toPrecision(3)));
  const [mantissa, exponent] = lr.toExponential(2).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/** A 1-based rank, or ">100" for "not in the top 100" (the worker's null). */
export function formatRank(rank: number | null): string {
  return rank === null ? '>100' : String(rank);
}
