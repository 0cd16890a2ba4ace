import { useCallback, useEffect, useRef, useState } from 'react';
import type { PreviewRow } from '../../../worker/protocol.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';

export const PAGE_SIZE = 50;
/** Pages kept in memory; the farthest from what is on screen go first. */
const MAX_PAGES = 40;

/**
 * Preview rows fetched from the worker one page of 50 at a time, on demand, cached, and dropped
 * when `revision` changes (a new file, mapping or split). Answers for an older revision are ignored.
 */
export function useRowPages(revision: number) {
  const cache = useRef(new Map<number, readonly PreviewRow[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    generation.current += 1;
    cache.current = new Map();
    inflight.current = new Set();
    setError(null);
    setVersion((v) => v + 1);
  }, [revision]);

  const ensure = useCallback((pages: readonly number[]) => {
    const gen = generation.current;
    for (const page of pages) {
      if (cache.current.has(page) || inflight.current.has(page)) continue;
      inflight.current.add(page);
      studio()
        .rows(page * PAGE_SIZE, PAGE_SIZE)
        .then(
          (rows) => {
            if (gen !== generation.current) return;
            inflight.current.delete(page);
            cache.current.set(page, rows);
            evict(cache.current, pages);
            setVersion((v) => v + 1);
          },
          (e: unknown) => {
            if (gen !== generation.current) return;
            inflight.current.delete(page);
            setError(errorMessage(e));
          },
        );
    }
  }, []);

  const row = useCallback((index: number): PreviewRow | undefined => cache.current.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], []);
  return { row, ensure, error };
}

function evict(cache: Map<number, readonly PreviewRow[]>, wanted: readonly number[]) {
  if (cache.size <= MAX_PAGES) return;
  const centre = wanted.length ? wanted[Math.floor(wanted.length / 2)] : 0;
  const byDistance = [...cache.keys()].filter((p) => !wanted.includes(p)).sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
  for (const p of byDistance.slice(0, cache.size - MAX_PAGES)) cache.delete(p);
}
