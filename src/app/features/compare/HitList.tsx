import type { RelevantRank, SearchHit } from '../../../worker/protocol.ts';
import { formatRank } from '../train/format.ts';

export interface HitListProps {
  readonly title: string;
  readonly hits: readonly SearchHit[];
  /** The query's relevant documents with their rank on this side: those outside the list are named below it. */
  readonly relevant: readonly { readonly doc: RelevantRank; readonly rank: number | null }[];
  readonly testId?: string;
}

/**
 * A top-k list with the relevant documents marked (✓, a tint and the words, not colour alone) and
 * their rank; a relevant document that did not make the list is named under it with its rank.
 */
export function HitList({ title, hits, relevant, testId }: HitListProps) {
  const shown = new Set(hits.map((h) => h.corpusIndex));
  const missing = relevant.filter((r) => !shown.has(r.doc.corpusIndex));
  return (
    <div className="cmp-hit-list" data-testid={testId}>
      <h4>{title}</h4>
      <ol>
        {hits.map((h, i) => (
          <li key={h.corpusIndex} className={h.relevant ? 'cmp-hit cmp-relevant' : 'cmp-hit'} data-relevant={h.relevant || undefined}>
            <span className="cmp-hit-mark">{h.relevant ? <span aria-label="relevant">✓</span> : null}</span>
            <span className="cmp-hit-text" title={h.text}>
              {h.text}
            </span>
            {/* Outside the text, which is cut with an ellipsis in narrow columns. */}
            <span className="cmp-hit-rank small">{h.relevant && <span className="pill" data-testid="relevant-rank">relevant · rank {i + 1}</span>}</span>
            <span className="num muted cmp-hit-score">{h.score.toFixed(3)}</span>
          </li>
        ))}
      </ol>
      {missing.map((r) => (
        <p key={r.doc.corpusIndex} className="small cmp-missing" data-testid="relevant-missing">
          ✓ Relevant document at rank <strong>{formatRank(r.rank)}</strong>, not in this top {hits.length}: <span className="cmp-hit-text">{r.doc.text}</span>
        </p>
      ))}
    </div>
  );
}
