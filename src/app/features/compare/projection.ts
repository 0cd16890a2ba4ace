import type { ProjectionPoint } from '../../../worker/protocol.ts';

export interface Bounds {
  readonly x: [number, number];
  readonly y: [number, number];
}

/** One frame for both maps: the box around every before AND after coordinate, padded. */
export function sharedBounds(points: readonly ProjectionPoint[], pad = 0.05): Bounds {
  if (points.length === 0) return { x: [-1, 1], y: [-1, 1] };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of points) {
    for (const [x, y] of [p.before, p.after]) {
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const px = (x1 - x0 || 1) * pad, py = (y1 - y0 || 1) * pad;
  return { x: [x0 - px, x1 + px], y: [y0 - py, y1 + py] };
}

/** Coordinates at t ∈ [0, 1] between before (0) and after (1), clamped. */
export function interpolate(points: readonly ProjectionPoint[], t: number): { x: number[]; y: number[] } {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const x = new Array<number>(points.length), y = new Array<number>(points.length);
  for (let i = 0; i < points.length; i++) {
    const { before: b, after: a } = points[i];
    x[i] = b[0] + (a[0] - b[0]) * u;
    y[i] = b[1] + (a[1] - b[1]) * u;
  }
  return { x, y };
}

/** Smooth start and stop for the Play animation. */
export function easeInOut(t: number): number {
  const u = Math.min(1, Math.max(0, t));
  return u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2;
}

/** Group → colour: a palette cycled by group; group -1 (documents no eval query wants) grey. */
export function groupColor(group: number, palette: readonly string[], grey: string): string {
  return group < 0 ? grey : palette[group % palette.length];
}

/** Hover text: kind, group and the text wrapped to lines, cut to a readable length. */
export function hoverText(p: ProjectionPoint, maxChars = 160, lineWidth = 50): string {
  const text = p.text.length > maxChars ? `${p.text.slice(0, maxChars - 1)}…` : p.text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > lineWidth) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<b>${p.kind}</b>${p.group >= 0 ? ` · group ${p.group}` : ''}<br>${lines.map(esc).join('<br>')}`;
}

/**
 * One line from each query to its relevant document(s) (the documents of its group), as one
 * polyline with null breaks between segments: Plotly draws it as a single trace.
 */
export function queryLinks(points: readonly ProjectionPoint[], x: readonly number[], y: readonly number[]): { x: (number | null)[]; y: (number | null)[] } {
  const docsOf = new Map<number, number[]>();
  points.forEach((p, i) => {
    if (p.kind === 'document' && p.group >= 0) docsOf.set(p.group, [...(docsOf.get(p.group) ?? []), i]);
  });
  const lx: (number | null)[] = [];
  const ly: (number | null)[] = [];
  points.forEach((p, i) => {
    if (p.kind !== 'query') return;
    for (const d of docsOf.get(p.group) ?? []) lx.push(x[i], x[d], null), ly.push(y[i], y[d], null);
  });
  return { x: lx, y: ly };
}
