/** Window math for fixed-row-height virtual lists: which rows to render and which pages to fetch. */

export interface RowWindow {
  /** First row to render (inclusive). */
  readonly start: number;
  /** One past the last row to render. */
  readonly end: number;
}

/**
 * The rows visible in a viewport of `viewportHeight` px scrolled to `scrollTop`, widened by
 * `overscan` rows on each side and clamped to [0, total).
 */
export function visibleRows(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 5): RowWindow {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.min(total, Math.max(0, first - overscan));
  const end = Math.min(total, Math.max(start, last + overscan));
  return { start, end };
}

/** Page indices (of `pageSize` rows each) that cover the window. */
export function pagesFor(window: RowWindow, pageSize: number): number[] {
  if (window.end <= window.start || pageSize <= 0) return [];
  const first = Math.floor(window.start / pageSize);
  const last = Math.floor((window.end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}
