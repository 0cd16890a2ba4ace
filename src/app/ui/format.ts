/** Number formatting shared by the panels: one place decides how a metric or a count reads. */

/** 22_713_216 -> "22.7 M"; 1_234 -> "1.2 k"; below a thousand as is. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)} B`;
  if (abs >= 1e6) return `${trim(n / 1e6)} M`;
  if (abs >= 1e3) return `${trim(n / 1e3)} k`;
  return String(Math.round(n));
}

function trim(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/**
 * An IR metric in [0, 1]: three decimals, the way sentence-transformers' evaluators log it, or
 * four where a table sets before and after side by side and small moves matter.
 */
export function formatMetric(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** A signed difference: "+0.042", "−0.013", "±0.000". */
export function formatDelta(d: number, digits = 3): string {
  if (!Number.isFinite(d)) return '—';
  const s = Math.abs(d).toFixed(digits);
  if (s === (0).toFixed(digits)) return `±${s}`;
  return d > 0 ? `+${s}` : `−${s}`;
}

/** "up" / "down" / "same" at the precision shown, so colour and text never disagree. */
export function deltaDirection(d: number, digits = 3): 'up' | 'down' | 'same' {
  const rounded = Number(d.toFixed(digits));
  return rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'same';
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
