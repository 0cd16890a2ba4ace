/** Byte counts in messages built outside the UI (the worker has no access to src/app). */
export function formatBytesPlain(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
