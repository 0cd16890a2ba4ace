import { create } from 'zustand';
import type { DatasetSummary, RunRecord, RunSummary, StorageStatus } from '../../../worker/protocol.ts';
import type { BusyStatus } from '../../jobs/busy.ts';

/**
 * The saved runs and datasets as the Runs panel shows them; the worker holds the truth, and
 * runs-actions.ts asks it.
 */
export interface RunsState extends BusyStatus<string> {
  runs: readonly RunSummary[];
  datasets: readonly DatasetSummary[];
  status: StorageStatus | null;
  /** Full records of the runs picked for comparison, fetched on demand. */
  records: Readonly<Record<string, RunRecord>>;
  selected: readonly string[];
  loading: boolean;
  /** The run or dataset an action is working on. */
  busy: string | null;
  error: string | null;
  notes: readonly string[];
}

export const useRuns = create<RunsState>()(() => ({
  runs: [],
  datasets: [],
  status: null,
  records: {},
  selected: [],
  loading: false,
  busy: null,
  error: null,
  notes: [],
}));
