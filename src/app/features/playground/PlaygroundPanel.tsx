import { useEffect } from 'react';
import type { EvalSummary, SearchHit } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import type { AsyncResult } from '../../ui/use-latest-async.ts';
import { BaselineBlock } from './BaselineBlock.tsx';
import { MetricsBlock } from './MetricsBlock.tsx';
import { PinBar } from './PinBar.tsx';
import { plainSettings, sameSettings } from './playground-selectors.ts';
import { usePlayground } from './playground-store.ts';
import { QueryPicker } from './QueryPicker.tsx';
import { RankingList } from './RankingList.tsx';
import { rankMoves } from './rank-moves.ts';
import { SettingsForm } from './SettingsForm.tsx';
import { useEvalQueries } from './use-eval-queries.ts';
import { usePlaygroundResults } from './use-playground-results.ts';

/**
 * Step 3: vary how texts become vectors and see the eval metrics and one query's ranking change,
 * against a pinned setting side by side. Every change re-evaluates (debounced, latest wins).
 */
export function PlaygroundPanel() {
  const dataset = useSession((s) => s.dataset);
  const revision = useSession((s) => s.revision);
  const trained = useSession((s) => s.trained);
  const retrieval = useSettings((s) => s.retrieval);
  const setRetrieval = useSettings((s) => s.setRetrieval);
  const pinnedRaw = useSettings((s) => s.pinned);
  const setPinned = useSettings((s) => s.setPinned);
  const { query, setQuery, weights: chosenWeights, setWeights } = usePlayground();

  const weights = trained ? chosenWeights : 'base';
  const current = plainSettings(retrieval);
  const pinned = pinnedRaw ? plainSettings(pinnedRaw) : null;
  const pinnedIsCurrent = sameSettings(pinned, current);
  const canRetrieve = dataset !== null && dataset.evalQueries > 0 && dataset.corpusSize > 0;
  const { queries: evalQueries, error: queriesError } = useEvalQueries(dataset?.rows ?? 0, revision, canRetrieve);

  // A new dataset brings new eval queries: start from its first one, not the old file's query.
  const datasetFile = dataset?.file ?? null;
  useEffect(() => {
    const state = usePlayground.getState();
    if (evalQueries.length === 0) return;
    if (!state.query || state.datasetFile !== datasetFile) {
      setQuery(evalQueries[0]);
      state.setDatasetFile(datasetFile);
    }
  }, [evalQueries, setQuery, datasetFile]);

  const q = query.trim();
  const { evalCurrent, evalPinned, searchCurrent, searchPinned } = usePlaygroundResults({
    current,
    pinned: pinnedIsCurrent ? null : pinned,
    weights,
    revision,
    query: q,
    enabled: canRetrieve,
  });
  const pinnedEval: AsyncResult<EvalSummary> | undefined = pinned ? (pinnedIsCurrent ? evalCurrent : evalPinned) : undefined;
  const pinnedSearch: AsyncResult<SearchHit[]> | undefined = pinned ? (pinnedIsCurrent ? searchCurrent : searchPinned) : undefined;
  const moves = pinnedSearch?.data && searchCurrent.data ? rankMoves(pinnedSearch.data, searchCurrent.data) : undefined;

  return (
    <div className="playground-panel">
      <h2>Playground</h2>
      {!canRetrieve ? (
        <p className="notice" role="note">
          The playground ranks a corpus for eval queries, so it needs (query, positive) pairs or triplets and an eval fraction above zero.
          {dataset ? ` "${dataset.file}" has ${dataset.evalQueries} eval queries and ${dataset.corpusSize} corpus documents.` : ' Load a dataset first.'}
        </p>
      ) : (
        <>
          <div className="pg-top">
            <div>
              <SettingsForm settings={current} onChange={setRetrieval} weights={weights} trained={trained} onWeights={setWeights} />
              <PinBar
                current={current}
                pinned={pinned}
                onPin={() => setPinned(current)}
                onUnpin={() => setPinned(null)}
                onRestore={() => pinned && setRetrieval(pinned)}
              />
            </div>
            <div>
              <MetricsBlock current={evalCurrent} pinned={pinnedEval} queries={dataset.evalQueries} corpus={dataset.corpusSize} />
              <BaselineBlock settings={current} revision={revision} trained={trained} ready={evalCurrent.data !== null} />
            </div>
          </div>
          <QueryPicker query={query} onChange={setQuery} evalQueries={evalQueries} />
          <ErrorNote error={queriesError && `Could not list the eval queries: ${queriesError}`} />
          <div className="pg-rankings">
            <RankingList title={pinned ? 'Current setting' : 'Ranking'} result={searchCurrent} moves={moves} testId="ranking-current" />
            {pinnedSearch ? (
              <RankingList title="Pinned setting" result={pinnedSearch} testId="ranking-pinned" />
            ) : (
              <section className="ranking placeholder" aria-label="Pinned ranking">
                <h4>Pinned setting</h4>
                <p className="muted">Pin a setting and its ranking for this query appears here, with each document's move (↑3 / ↓2 / new) on the current side.</p>
              </section>
            )}
          </div>
          {!q && <p className="muted">Type a query to rank the corpus.</p>}
        </>
      )}
    </div>
  );
}
