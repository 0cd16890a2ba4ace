import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { pagesFor, visibleRows } from '../../ui/virtual.ts';
import { mineKeyAction, scrollToRow } from './mine-keys.ts';
import { useMine } from './mine-store.ts';
import { MINED_PAGE, useMinedPages } from './use-mined-pages.ts';

const ROW_HEIGHT = 34;
const VIEWPORT_HEIGHT = 374;

const score = (s: number) => s.toFixed(3);

/**
 * The candidates as a virtualised table, keyboard first: j/k (or arrows) move, x rejects or
 * restores the negative under the cursor (a false negative: in truth it answers the anchor).
 */
export function MinedTable({ total }: { total: number }) {
  const { cursor, rejected, generation, setCursor, toggle } = useMine();
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const { row, ensure, error } = useMinedPages(generation);
  const win = visibleRows(scrollTop, VIEWPORT_HEIGHT, ROW_HEIGHT, total, 8);

  useEffect(() => {
    ensure(pagesFor(win, MINED_PAGE));
  }, [ensure, win.start, win.end, generation]);

  const follow = (to: number) => {
    setCursor(to);
    const el = viewport.current;
    if (el) {
      el.scrollTop = scrollToRow(to, el.scrollTop, VIEWPORT_HEIGHT, ROW_HEIGHT);
      setScrollTop(el.scrollTop);
    }
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const action = mineKeyAction(e.key, cursor, total, Math.floor(VIEWPORT_HEIGHT / ROW_HEIGHT));
    if (!action) return;
    e.preventDefault();
    if (action.type === 'move') follow(action.to);
    else {
      const r = row(action.row);
      if (r) toggle(r.key);
    }
  };

  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const r = row(i);
    const isRejected = r ? rejected.has(r.key) : false;
    rows.push(
      <div
        key={i}
        role="row"
        id={`mined-row-${i}`}
        aria-rowindex={i + 2}
        aria-selected={i === cursor}
        data-rejected={isRejected ? 'true' : undefined}
        className={`vrow mined-row${i === cursor ? ' cursor' : ''}${isRejected ? ' rejected' : ''}`}
        style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT }}
        onClick={() => setCursor(i)}
      >
        <span role="cell" className="cell-text" title={r?.anchor}>{r ? r.anchor : 'loading…'}</span>
        <span role="cell" className="cell-text" title={r?.positive}>{r?.positive ?? ''}</span>
        <span role="cell" className="cell-text negative" title={r?.negative}>{r?.negative ?? ''}</span>
        <span role="cell" className="num">{r ? score(r.positiveScore) : ''}</span>
        <span role="cell" className="num">{r ? score(r.negativeScore) : ''}</span>
        <span role="cell" className="num">{r ? r.rank + 1 : ''}</span>
        <span role="cell">
          {r && (
            <button type="button" className="ghost small" tabIndex={-1} onClick={(e) => { e.stopPropagation(); setCursor(i); toggle(r.key); }}>
              {isRejected ? 'restore' : 'reject'}
            </button>
          )}
        </span>
      </div>,
    );
  }

  return (
    <>
      <div role="grid" aria-label="Mined negatives" aria-rowcount={total + 1} className="vtable mined-table" data-testid="mined-table">
        <div role="row" aria-rowindex={1} className="vhead mined-row">
          <span role="columnheader">Anchor</span>
          <span role="columnheader">Positive</span>
          <span role="columnheader">Negative</span>
          <span role="columnheader" className="num">pos</span>
          <span role="columnheader" className="num">neg</span>
          <span role="columnheader" className="num">rank</span>
          <span role="columnheader" />
        </div>
        <div
          ref={viewport}
          className="vviewport"
          style={{ height: VIEWPORT_HEIGHT }}
          tabIndex={0}
          aria-activedescendant={total ? `mined-row-${cursor}` : undefined}
          aria-label="Mined negatives: j and k move, x rejects a false negative"
          data-testid="mined-viewport"
          onKeyDown={onKey}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        >
          <div role="rowgroup" className="vspacer" style={{ height: Math.max(total * ROW_HEIGHT, 1) }}>
            {total === 0 ? <p className="muted empty-rows">No negatives were found within these limits: widen range_max or lower the margins.</p> : rows}
          </div>
        </div>
      </div>
      <ErrorNote error={error} />
    </>
  );
}
