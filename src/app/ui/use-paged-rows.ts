import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from './use-latest-async.ts';

/**
 * Rows of a long list (in the worker) fetched one page at a time, on demand, cached, and dropped
 * when `resetKey` changes (answers asked before that are ignored). With `maxPages`, the pages
 * farthest from the ones wanted go first once more are held.
 */
export function usePagedRows<T>(resetKey: unknown, fetchPage: (offset: number, count: number) => Promise<readonly T[]>, pageSize: number, maxPages = Infinity) {
  const cache = useRef(new Map<number, readonly T[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    generation.current += 1;
    cache.current = new Map();
    inflight.current = new Set();
    setError(null);
    setVersion((v) => v + 1);
  }, [resetKey]);

  const ensure = useCallback(
    (pages: readonly number[]) => {
      const gen = generation.current;
      for (const page of pages) {
        if (cache.current.has(page) || inflight.current.has(page)) continue;
        inflight.current.add(page);
        fetchRef.current(page * pageSize, pageSize).then(
          (rows) => {
            if (gen !== generation.current) return;
            inflight.current.delete(page);
            cache.current.set(page, rows);
            evict(cache.current, pages, maxPages);
            setVersion((v) => v + 1);
          },
          (e: unknown) => {
            if (gen !== generation.current) return;
            inflight.current.delete(page);
            setError(errorMessage(e));
          },
        );
      }
    },
    [pageSize, maxPages],
  );

  const row = useCallback((index: number): T | undefined => cache.current.get(Math.floor(index / pageSize))?.[index % pageSize], [pageSize]);
  return { row, ensure, error };
}

function evict<T>(cache: Map<number, readonly T[]>, wanted: readonly number[], maxPages: number) {
  if (cache.size <= maxPages) return;
  const centre = wanted.length ? wanted[Math.floor(wanted.length / 2)] : 0;
  const byDistance = [...cache.keys()].filter((p) => !wanted.includes(p)).sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
  for (const p of byDistance.slice(0, cache.size - maxPages)) cache.delete(p);
}
