import { create } from 'zustand';
import { requestPersistence } from './request-persistence.ts';
import type { DatasetSummary, RunRecord, RunSummary, StorageStatus } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { downloadText } from '../../ui/download.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { DATA_JOB } from '../data/use-dataset-loader.ts';
import { IDLE_RUN, isActive, type RunStatus } from '../train/run-state.ts';
import { useTrainRun } from '../train/train-run-store.ts';
import { formatRunDate, historyFileName, toggleSelection } from './runs-format.ts';

interface RunsStore {
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
  refresh(): Promise<void>;
  toggle(id: string): void;
  open(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  exportHistory(run: RunSummary): Promise<void>;
  openDataset(id: string): Promise<void>;
  removeDataset(id: string): Promise<void>;
  persist(): Promise<void>;
}

/** A reopened run's curves go to the Train panel, as if it had just ended there. */
/** The words Export and the notes use for a saved run's weights. */
export function savedRunLabel(run: RunRecord): string {
  return `the run of ${formatRunDate(run.created)} (${run.state === 'running' ? 'interrupted' : run.state} at step ${run.weights?.step ?? run.step} of ${run.totalSteps})`;
}

/** Shows a reopened run's curves in the Train panel, unless a run is going there. */
export function showInTrainPanel(run: RunRecord): void {
  if (isActive(useTrainRun.getState().status)) return;
  const status: RunStatus = run.state === 'finished' ? 'finished' : run.state === 'failed' ? 'failed' : 'cancelled';
  useTrainRun.setState({
    ...IDLE_RUN,
    status,
    message: run.message ?? null,
    config: run.config,
    step: run.step,
    totalSteps: run.totalSteps,
    etaSeconds: 0,
    lossSteps: run.lossCurve.map((p) => p.step),
    lossValues: run.lossCurve.map((p) => p.loss),
    evals: run.evalHistory,
    seconds: run.durationSeconds,
  });
}

/** The saved runs and datasets as the Runs panel shows them; the worker holds the truth. */
export const useRuns = create<RunsStore>()((set, get) => {
  const act = async (busy: string, work: () => Promise<void>) => {
    set({ busy, error: null });
    try {
      await work();
    } catch (e) {
      set({ error: errorMessage(e) });
    } finally {
      set({ busy: null });
    }
  };

  const fetchRecords = async (ids: readonly string[]) => {
    const missing = ids.filter((id) => !get().records[id]);
    if (missing.length === 0) return;
    const got = await Promise.all(missing.map((id) => studio().getRun(id)));
    set((s) => ({ records: { ...s.records, ...Object.fromEntries(got.map((r) => [r.id, r])) } }));
  };

  return {
    runs: [],
    datasets: [],
    status: null,
    records: {},
    selected: [],
    loading: false,
    busy: null,
    error: null,
    notes: [],

    async refresh() {
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
    },

    toggle(id) {
      const selected = toggleSelection(get().selected, id);
      set({ selected });
      fetchRecords(selected).catch((e: unknown) => set({ error: errorMessage(e) }));
    },

    open: (id) =>
      act(id, async () => {
        const { run, notes } = await studio().openRun(id);
        useSettings.getState().setRetrieval(run.retrieval);
        useSession.getState().setTrained(true, savedRunLabel(run));
        showInTrainPanel(run);
        set({ notes: [`Opened the run of ${formatRunDate(run.created)}: its fine-tuned weights are now the “after” side of the Playground, Compare and Export.`, ...notes] });
      }),

    remove: (id) =>
      act(id, async () => {
        await studio().deleteRun(id);
        set((s) => {
          const records = { ...s.records };
          delete records[id];
          return { records, selected: s.selected.filter((x) => x !== id), notes: [] };
        });
        await get().refresh();
      }),

    exportHistory: (run) =>
      act(run.id, async () => {
        downloadText(historyFileName(run), await studio().exportRunHistory(run.id));
      }),

    openDataset: (id) =>
      act(id, async () => {
        const session = useSession.getState();
        session.setJob(DATA_JOB, { label: 'Reading the saved dataset…', done: 0, total: 0 });
        try {
          const { info, dataset } = await studio().openDataset(id);
          useSettings.getState().setSplit(dataset.split);
          session.setDataset(info);
          set({ notes: [`Loaded the saved dataset ${dataset.name}.`] });
        } finally {
          session.setJob(DATA_JOB, null);
        }
        await get().refresh();
      }),

    removeDataset: (id) =>
      act(id, async () => {
        await studio().deleteDataset(id);
        await get().refresh();
      }),

    persist: () =>
      act('persist', async () => {
        const granted = await requestPersistence(navigator.storage);
        if (!granted) {
          set({ notes: ['The browser declined to keep the data persistently (it decides from how the site is used; bookmarking or installing the studio helps). Runs are still saved, but may be cleared when the disk runs low.'] });
        }
        await get().refresh();
      }),
  };
});
