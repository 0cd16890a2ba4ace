/** What j, k and x (and the arrows, Home, End) do in the mining table: move the cursor, reject. */
export type MineKeyAction = { readonly type: 'move'; readonly to: number } | { readonly type: 'toggle'; readonly row: number } | null;

export function mineKeyAction(key: string, cursor: number, rows: number, pageRows = 10): MineKeyAction {
  if (rows <= 0) return null;
  const clamp = (i: number) => Math.max(0, Math.min(rows - 1, i));
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return { type: 'move', to: clamp(cursor + 1) };
    case 'k':
    case 'ArrowUp':
      return { type: 'move', to: clamp(cursor - 1) };
    case 'PageDown':
      return { type: 'move', to: clamp(cursor + pageRows) };
    case 'PageUp':
      return { type: 'move', to: clamp(cursor - pageRows) };
    case 'Home':
      return { type: 'move', to: 0 };
    case 'End':
      return { type: 'move', to: rows - 1 };
    case 'x':
    case 'Delete':
      return { type: 'toggle', row: clamp(cursor) };
    default:
      return null;
  }
}

/** The scrollTop that keeps `row` in view (unchanged when it already is). */
export function scrollToRow(row: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return scrollTop;
}
