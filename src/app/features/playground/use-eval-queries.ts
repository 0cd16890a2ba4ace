import { useEffect, useState } from 'react';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { evalQueriesFrom } from './playground-selectors.ts';

const CHUNK = 1000;
/** Rows scanned for eval queries at most; enough for any dropdown a person scrolls. */
const MAX_ROWS = 50_000;

/**
 * The eval queries, gathered from the preview rows of the eval split (the worker has no call
 * that lists them). Refetched when `revision` changes; an older scan never overwrites a newer one.
 */
export function useEvalQueries(totalRows: number, revision: number, enabled: boolean): { queries: readonly string[]; error: string | null } {
  const [state, setState] = useState<{ queries: readonly string[]; error: string | null }>({ queries: [], error: null });
  useEffect(() => {
    if (!enabled) {
      setState({ queries: [], error: null });
      return;
    }
    let live = true;
    (async () => {
      const rows = [];
      const end = Math.min(totalRows, MAX_ROWS);
      for (let offset = 0; offset < end; offset += CHUNK) {
        rows.push(...(await studio().rows(offset, Math.min(CHUNK, end - offset))));
        if (!live) return;
      }
      setState({ queries: evalQueriesFrom(rows), error: null });
    })().catch((e: unknown) => {
      if (live) setState({ queries: [], error: errorMessage(e) });
    });
    return () => {
      live = false;
    };
  }, [totalRows, revision, enabled]);
  return state;
}
