import type { EvalSummary, SearchHit } from '../../../worker/protocol.ts';
import type { BaselineSummary } from '../../../worker/protocol-checks.ts';
import { trackedJob } from '../../jobs/tracked-job.ts';
import { type AsyncResult, useLatestAsync } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { requestKey, TOP_K } from './playground-selectors.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';
import type { WeightsState } from '../../../shared/events.ts';

export interface PlaygroundRequest {
  readonly current: RetrievalSettings;
  /** The pinned setting, unless none is pinned or it is the current one (then the current results serve for both). */
  readonly pinned: RetrievalSettings | null;
  readonly weights: WeightsState;
  readonly revision: number;
  /** The trimmed query; empty: no ranking. */
  readonly query: string;
  /** False while there is nothing to rank (no eval queries or corpus). */
  readonly enabled: boolean;
}

export interface PlaygroundResults {
  readonly evalCurrent: AsyncResult<EvalSummary>;
  readonly evalPinned: AsyncResult<EvalSummary>;
  readonly searchCurrent: AsyncResult<SearchHit[]>;
  readonly searchPinned: AsyncResult<SearchHit[]>;
}

const cancel = () => void studio().cancelJob();

/**
 * The playground's worker calls: the eval metrics and one query's ranking, for the current and the
 * pinned setting. Each is re-asked (debounced, latest wins) when what it depends on changes.
 */
export function usePlaygroundResults({ current, pinned, weights, revision, query: q, enabled }: PlaygroundRequest): PlaygroundResults {
  const evalCurrent = useLatestAsync(enabled ? requestKey({ s: current, weights, revision }) : null, () =>
    trackedJob('evaluate', `Evaluating ${weights === 'trained' ? 'the fine-tuned' : 'the base'} model`, (p) => studio().evaluate(current, weights, p), cancel),
  );
  const evalPinned = useLatestAsync(
    enabled && pinned ? requestKey({ s: pinned, weights, revision }) : null,
    () => trackedJob('evaluate-pinned', 'Evaluating the pinned setting', (p) => studio().evaluate(pinned ?? current, weights, p), cancel),
  );
  const searchCurrent = useLatestAsync(
    enabled && q ? requestKey({ q, s: current, weights, revision }) : null,
    () => studio().search(q, current, weights, TOP_K),
  );
  const searchPinned = useLatestAsync(
    enabled && q && pinned ? requestKey({ q, s: pinned, weights, revision }) : null,
    () => studio().search(q, pinned ?? current, weights, TOP_K),
  );
  return { evalCurrent, evalPinned, searchCurrent, searchPinned };
}

/** BM25 beside the base and the fine-tuned model, asked once `ready` (the current metrics are in: they share the embeddings). */
export function useBaselines(settings: RetrievalSettings, revision: number, trained: boolean, ready: boolean): AsyncResult<BaselineSummary> {
  return useLatestAsync(ready ? requestKey({ s: settings, revision, trained, baselines: true }) : null, () => studio().baselines(settings));
}
