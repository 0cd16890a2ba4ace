import type { SearchHit } from '../../../worker/protocol.ts';

/** A top-k list with the relevant documents marked (✓ and a tint, not colour alone). */
export function HitList({ title, hits }: { title: string; hits: readonly SearchHit[] }) {
  return (
    <div className="cmp-hit-list">
      <h4>{title}</h4>
      <ol>
        {hits.map((h) => (
          <li key={h.corpusIndex} className={h.relevant ? 'cmp-hit cmp-relevant' : 'cmp-hit'}>
            <span className="cmp-hit-mark">{h.relevant ? <span aria-label="relevant">✓</span> : null}</span>
            <span className="cmp-hit-text">{h.text}</span>
            <span className="num muted cmp-hit-score">{h.score.toFixed(3)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
