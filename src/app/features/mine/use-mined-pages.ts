import type { MinedRow } from '../../../worker/protocol-checks.ts';
import { usePagedRows } from '../../ui/use-paged-rows.ts';
import { studio } from '../../worker-client.ts';

/** Rows of mined candidates asked of the worker at once. */
export const MINED_PAGE = 100;

const fetchMinedRows = (offset: number, count: number): Promise<MinedRow[]> => studio().minedRows(offset, count);

/** Mined rows fetched a page at a time, dropped when a new mining starts (`generation` changes). */
export function useMinedPages(generation: number) {
  return usePagedRows(generation, fetchMinedRows, MINED_PAGE);
}
