import { useCallback, useEffect, useRef, useState } from 'react';
import type { MinedRow } from '../../../worker/protocol-checks.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';

/** Rows of mined candidates asked of the worker at once. */
export const MINED_PAGE = 100;

/** Mined rows fetched a page at a time, dropped when a new mining starts. */
export function useMinedPages(generation: number) {
  const cache = useRef(new Map<number, readonly MinedRow[]>());
  const inflight = useRef(new Set<number>());
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    cache.current = new Map();
    inflight.current = new Set();
    setVersion((v) => v + 1);
  }, [generation]);
  const ensure = useCallback((pages: readonly number[]) => {
    for (const page of pages) {
      if (cache.current.has(page) || inflight.current.has(page)) continue;
      inflight.current.add(page);
      const mine = cache.current;
      studio().minedRows(page * MINED_PAGE, MINED_PAGE).then(
        (rows) => {
          if (mine !== cache.current) return;
          inflight.current.delete(page);
          mine.set(page, rows);
          setVersion((v) => v + 1);
        },
        (e: unknown) => setError(errorMessage(e)),
      );
    }
  }, []);
  const row = (i: number) => cache.current.get(Math.floor(i / MINED_PAGE))?.[i % MINED_PAGE];
  return { row, ensure, error };
}
