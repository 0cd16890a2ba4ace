import type { RunSummary } from '../../../worker/protocol.ts';
import { runBusy } from '../../jobs/busy.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { downloadText } from '../../ui/download.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { openSavedDataset } from '../data/data-actions.ts';
import { DATA_JOB } from '../data/use-dataset-loader.ts';
import { showSavedRun } from '../train/train-run-store.ts';
import { requestPersistence } from './request-persistence.ts';
import { formatRunDate, historyFileName, savedRunLabel, toggleSelection } from './runs-format.ts';
import { useRuns } from './runs-store.ts';

/** The Runs panel's worker calls; what they find goes into useRuns. */

const set = useRuns.setState;
const get = useRuns.getState;
const act = (busy: string, work: () => Promise<void>) => runBusy(useRuns, busy, work);

async function fetchRecords(ids: readonly string[]): Promise<void> {
  const missing = ids.filter((id) => !get().records[id]);
  if (missing.length === 0) return;
  const got = await Promise.all(missing.map((id) => studio().getRun(id)));
  set((s) => ({ records: { ...s.records, ...Object.fromEntries(got.map((r) => [r.id, r])) } }));
}

/**
 * Makes a saved run's fine-tuned weights the "after" side (Playground, Compare, Export), with the
 * retrieval settings it trained with, and shows its curves in the Train panel.
 */
export async function openSavedRun(id: string) {
  const opened = await studio().openRun(id);
  const { run } = opened;
  useSettings.getState().setRetrieval(run.retrieval);
  useSession.getState().setTrained(true, savedRunLabel(run));
  showSavedRun(run);
  return opened;
}

export async function refreshRuns(): Promise<void> {
  set({ loading: true });
  try {
    // A run that just ended may still be writing its weights.
    await studio().waitForSaves();
    const status = await studio().storageEstimate();
    if (!status.enabled) {
      set({ status, runs: [], datasets: [], loading: false });
      return;
    }
    const [runs, datasets] = await Promise.all([studio().listRuns(), studio().listDatasets()]);
    const ids = new Set(runs.map((r) => r.id));
    set((s) => ({ status, runs, datasets, loading: false, selected: s.selected.filter((id) => ids.has(id)) }));
  } catch (e) {
    set({ loading: false, error: errorMessage(e) });
  }
}

/** Ticks or unticks a run for comparison, and reads the full records of the ticked ones. */
export function toggleRun(id: string): void {
  const selected = toggleSelection(get().selected, id);
  set({ selected });
  fetchRecords(selected).catch((e: unknown) => set({ error: errorMessage(e) }));
}

export const openRun = (id: string) =>
  act(id, async () => {
    const { run, notes } = await openSavedRun(id);
    set({ notes: [`Opened the run of ${formatRunDate(run.created)}: its fine-tuned weights are now the “after” side of the Playground, Compare and Export.`, ...notes] });
  });

export const removeRun = (id: string) =>
  act(id, async () => {
    await studio().deleteRun(id);
    set((s) => {
      const records = { ...s.records };
      delete records[id];
      return { records, selected: s.selected.filter((x) => x !== id), notes: [] };
    });
    await refreshRuns();
  });

export const exportRunHistory = (run: RunSummary) =>
  act(run.id, async () => {
    downloadText(historyFileName(run), await studio().exportRunHistory(run.id));
  });

export const openDataset = (id: string) =>
  act(id, async () => {
    const session = useSession.getState();
    session.setJob(DATA_JOB, { label: 'Reading the saved dataset…', done: 0, total: 0 });
    try {
      const { dataset } = await openSavedDataset(id);
      set({ notes: [`Loaded the saved dataset ${dataset.name}.`] });
    } finally {
      session.setJob(DATA_JOB, null);
    }
    await refreshRuns();
  });

export const removeDataset = (id: string) =>
  act(id, async () => {
    await studio().deleteDataset(id);
    await refreshRuns();
  });

export const persistStorage = () =>
  act('persist', async () => {
    const granted = await requestPersistence(navigator.storage);
    if (!granted) {
      set({ notes: ['The browser declined to keep the data persistently (it decides from how the site is used; bookmarking or installing the studio helps). Runs are still saved, but may be cleared when the disk runs low.'] });
    }
    await refreshRuns();
  });
