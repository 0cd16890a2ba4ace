import { type CSSProperties, useEffect, useRef, useState } from 'react';
import type { DatasetInfo } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { pagesFor, visibleRows } from '../../ui/virtual.ts';
import { previewHeaders } from './data-selectors.ts';
import { PAGE_SIZE, useRowPages } from './use-row-pages.ts';

export const ROW_HEIGHT = 30;
const VIEWPORT_HEIGHT = 330;

/**
 * The rows as the studio read them, virtualised: fixed row height, only the visible rows (plus a
 * few) in the DOM, pages of 50 fetched from the worker as the user scrolls. Long texts are cut
 * to one line; the full text is in the cell's tooltip.
 */
export function PreviewTable({ info, revision }: { info: DatasetInfo; revision: number }) {
  const headers = previewHeaders(info.mapping);
  const textColumns = Math.max(headers.texts.length, 1);
  const hasLabel = headers.label !== null;
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = useRef<HTMLDivElement>(null);
  const { row, ensure, error } = useRowPages(revision);
  const total = info.rows;
  const win = visibleRows(scrollTop, VIEWPORT_HEIGHT, ROW_HEIGHT, total, 8);

  useEffect(() => {
    ensure(pagesFor(win, PAGE_SIZE));
  }, [ensure, win.start, win.end, revision]);

  // A new file starts at the top.
  useEffect(() => {
    if (viewport.current) viewport.current.scrollTop = 0;
    setScrollTop(0);
  }, [info.file, info.mapping]);

  const grid: CSSProperties = {
    gridTemplateColumns: `64px repeat(${textColumns}, minmax(0, 1fr))${hasLabel ? ' 72px' : ''} 64px`,
  };
  const rows = [];
  for (let i = win.start; i < win.end; i++) {
    const r = row(i);
    rows.push(
      <div key={i} role="row" aria-rowindex={i + 2} className={`vrow${r?.split === 'eval' ? ' eval' : ''}`} style={{ ...grid, top: i * ROW_HEIGHT, height: ROW_HEIGHT }}>
        <span role="cell" className="num muted">{r ? r.line : ''}</span>
        {Array.from({ length: textColumns }, (_, c) => {
          const text = r?.texts[c] ?? '';
          return <span role="cell" key={c} className="cell-text" title={text}>{r ? text : c === 0 ? 'loading…' : ''}</span>;
        })}
        {hasLabel && <span role="cell" className="num">{r?.label ?? ''}</span>}
        <span role="cell" className={r?.split === 'eval' ? 'split-eval' : 'muted'}>{r?.split ?? ''}</span>
      </div>,
    );
  }

  return (
    <section className="preview" aria-label="Preview">
      <h3>Preview <span className="muted small">({total.toLocaleString()} rows; eval rows highlighted)</span></h3>
      <div role="table" aria-label="Dataset rows" aria-rowcount={total + 1} className="vtable" data-testid="data-preview">
        <div role="row" aria-rowindex={1} className="vhead" style={grid}>
          <span role="columnheader" className="num">Line</span>
          {headers.texts.length === 0 ? <span role="columnheader">Text</span> : headers.texts.map((h, c) => <span role="columnheader" key={c}>{h}</span>)}
          {hasLabel && <span role="columnheader" className="num">{headers.label}</span>}
          <span role="columnheader">Split</span>
        </div>
        <div
          ref={viewport}
          className="vviewport"
          style={{ height: VIEWPORT_HEIGHT }}
          tabIndex={0}
          aria-label="Scroll the dataset rows"
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        >
          <div role="rowgroup" className="vspacer" style={{ height: Math.max(total * ROW_HEIGHT, 1) }}>
            {total === 0 ? <p className="muted empty-rows">No rows were read. Check the validation report and the column mapping.</p> : rows}
          </div>
        </div>
      </div>
      <ErrorNote error={error} />
    </section>
  );
}
