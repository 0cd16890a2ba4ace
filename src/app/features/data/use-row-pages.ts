import type { PreviewRow } from '../../../worker/protocol.ts';
import { usePagedRows } from '../../ui/use-paged-rows.ts';
import { studio } from '../../worker-client.ts';

export const PAGE_SIZE = 50;
/** Pages kept in memory; the farthest from what is on screen go first. */
const MAX_PAGES = 40;

const fetchRows = (offset: number, count: number): Promise<PreviewRow[]> => studio().rows(offset, count);

/**
 * Preview rows fetched from the worker one page of 50 at a time, on demand, cached, and dropped
 * when `revision` changes (a new file, mapping or split). Answers for an older revision are ignored.
 */
export function useRowPages(revision: number) {
  return usePagedRows(revision, fetchRows, PAGE_SIZE, MAX_PAGES);
}
