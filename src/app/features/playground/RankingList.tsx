import type { SearchHit } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import type { AsyncResult } from '../../ui/use-latest-async.ts';
import { describeMove, formatMove, type RankMove } from './rank-moves.ts';
import { TOP_K } from './playground-selectors.ts';

interface RankingListProps {
  title: string;
  result: AsyncResult<SearchHit[]>;
  /** Per hit, its move against the other ranking (shown on the current side). */
  moves?: readonly RankMove[];
  testId?: string;
}

/** The corpus ranked for the query: top 10 with scores, relevant documents marked. */
export function RankingList({ title, result, moves, testId }: RankingListProps) {
  const hits = result.data ?? [];
  return (
    <section className="ranking" aria-label={title} aria-busy={result.pending} data-testid={testId}>
      <h4>{title}</h4>
      <ol className="hits">
        {Array.from({ length: TOP_K }, (_, i) => {
          const h = hits[i];
          if (!h) return <li key={`empty-${i}`} className="hit empty" aria-hidden="true" />;
          const move = moves?.[i];
          return (
            <li key={h.corpusIndex} className={`hit${h.relevant ? ' relevant' : ''}`} data-relevant={h.relevant ? 'true' : undefined}>
              <span className="hit-rank num">{i + 1}</span>
              <span className="hit-score num">{h.score.toFixed(3)}</span>
              {move ? (
                <span className={`hit-move move-${move.kind}`} aria-label={describeMove(move)} title={describeMove(move)}>{formatMove(move)}</span>
              ) : (
                <span className="hit-move" aria-hidden="true" />
              )}
              <span className="hit-text" title={h.text}>{h.text}</span>
              {h.relevant ? <span className="relevant-mark" aria-label="relevant">✓ relevant</span> : null}
            </li>
          );
        })}
      </ol>
      <ErrorNote error={result.error} />
    </section>
  );
}
