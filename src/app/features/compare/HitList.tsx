import type { SearchHit } from '../../../worker/protocol.ts';

/** A top-k list with the relevant documents marked (✓ and a tint, not colour alone). */
export function HitList({ title, hits }: { title: string; hits: readonly SearchHit[] }) {
  return (
    <div className="hit-list">
      <h4>{title}</h4>
      <ol>
        {hits.map((h) => (
          <li key={h.corpusIndex} className={h.relevant ? 'hit relevant' : 'hit'}>
            <span className="hit-mark" aria-label={h.relevant ? 'relevant' : undefined}>
              {h.relevant ? '✓' : ''}
            </span>
            <span className="hit-text">{h.text}</span>
            <span className="num muted hit-score">{h.score.toFixed(3)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
