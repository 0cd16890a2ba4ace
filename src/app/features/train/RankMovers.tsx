import { formatRank } from './format.ts';
import type { RankMover } from '../../../shared/events.ts';

/** The eval queries whose first relevant document moved most since the run started. */
export function RankMovers({ movers, evaluated }: { movers: readonly RankMover[]; evaluated: boolean }) {
  return (
    <section className="rank-movers" aria-labelledby="rank-movers-title">
      <h3 id="rank-movers-title">Rank movers</h3>
      {movers.length === 0 ? (
        <p className="muted small">{evaluated ? 'No eval query has moved yet.' : 'Appears at the first evaluation.'}</p>
      ) : (
        <ol className="movers-list" data-testid="rank-movers">
          {movers.map((m, i) => (
            <li key={`${i}-${m.query}`} className="mover">
              <span className={m.delta > 0 ? 'delta-up mover-arrow' : 'delta-down mover-arrow'} aria-label={m.delta > 0 ? 'moved up' : 'moved down'}>
                {m.delta > 0 ? '↑' : '↓'}
                {Math.abs(m.delta)}
              </span>
              <span className="mover-ranks num">
                {formatRank(m.before)}→{formatRank(m.now)}
              </span>
              <span className="mover-query" title={m.query}>
                {m.query}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
