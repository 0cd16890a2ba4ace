import { Fragment, useMemo, useState } from 'react';
import type { Comparison } from '../../../worker/protocol.ts';
import { formatRank } from '../train/format.ts';
import { HitList } from './HitList.tsx';
import { queryRows, sortQueryRows, summarizeMoves, type QuerySort } from './per-query.ts';

const PAGE = 100;

const SORTS: { id: QuerySort; label: string }[] = [
  { id: 'gain', label: 'Biggest gains' },
  { id: 'loss', label: 'Biggest losses' },
  { id: 'order', label: 'Dataset order' },
];

/** Every eval query: where its first relevant document ranked before → after, expandable to the top 5s. */
export function QueryTable({ comparison }: { comparison: Comparison }) {
  const [sort, setSort] = useState<QuerySort>('gain');
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [shown, setShown] = useState(PAGE);
  const rows = useMemo(() => queryRows(comparison.queries), [comparison]);
  const sorted = useMemo(() => sortQueryRows(rows, sort), [rows, sort]);
  const summary = useMemo(() => summarizeMoves(rows), [rows]);

  const toggle = (i: number) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(i)) next.delete(i);
      else next.add(i);
      return next;
    });

  return (
    <section aria-labelledby="per-query-title" className="per-query">
      <div className="row">
        <h3 id="per-query-title">Per query</h3>
        <span className="muted small">
          <span className="delta-up">{summary.improved} improved</span> · <span className="delta-down">{summary.regressed} regressed</span> · {summary.unchanged} unchanged
        </span>
        <div className="segmented" role="group" aria-label="Sort queries">
          {SORTS.map((s) => (
            <button key={s.id} type="button" className="ghost" aria-pressed={sort === s.id} onClick={() => setSort(s.id)} data-testid={`sort-${s.id}`}>
              {s.label}
            </button>
          ))}
        </div>
      </div>
      <div className="table-scroll">
        <table className="query-table" data-testid="compare-queries">
          <thead>
            <tr>
              <th scope="col">Query</th>
              <th scope="col" className="num">Rank base → fine-tuned</th>
              <th scope="col" className="num" aria-sort={sort === 'order' ? 'none' : sort === 'gain' ? 'descending' : 'ascending'}>
                Δ
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, shown).map((r) => {
              const expanded = open.has(r.index);
              const q = comparison.queries[r.index];
              return (
                <Fragment key={r.index}>
                  <tr className={r.gain > 0 ? 'row-win' : r.gain < 0 ? 'row-loss' : undefined}>
                    <td>
                      <button
                        type="button"
                        className="link-button"
                        aria-expanded={expanded}
                        aria-controls={`query-detail-${r.index}`}
                        onClick={() => toggle(r.index)}
                      >
                        <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> {r.query}
                      </button>
                    </td>
                    <td className="num">
                      {formatRank(r.rankBefore)} → {formatRank(r.rankAfter)}
                    </td>
                    <td className={`num ${r.gain > 0 ? 'delta-up' : r.gain < 0 ? 'delta-down' : 'muted'}`}>
                      {r.gain > 0 ? `↑${r.gain}` : r.gain < 0 ? `↓${-r.gain}` : '—'}
                    </td>
                  </tr>
                  {expanded && (
                    <tr id={`query-detail-${r.index}`} className="query-detail">
                      <td colSpan={3}>
                        <div className="grid-2">
                          <HitList title="Base top 5" hits={q.topBefore} relevant={q.relevant.map((doc) => ({ doc, rank: doc.rankBefore }))} testId="hits-before" />
                          <HitList title="Fine-tuned top 5" hits={q.topAfter} relevant={q.relevant.map((doc) => ({ doc, rank: doc.rankAfter }))} testId="hits-after" />
                        </div>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {sorted.length > shown && (
        <button type="button" className="ghost" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, sorted.length - shown)} more of {sorted.length - shown}
        </button>
      )}
    </section>
  );
}
