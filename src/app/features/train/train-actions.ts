import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { callback, studio } from '../../worker-client.ts';
import { createEventBatcher, type EventBatcher } from './event-batcher.ts';
import { applyEvents, IDLE_RUN, isActive } from './run-state.ts';
import { useTrainRun } from './train-run-store.ts';
import { type RetrievalSettings, type TrainingConfig, withTrainingDefaults } from '../../../shared/settings.ts';
import type { TrainingEvent } from '../../../shared/events.ts';

/** The training run's worker calls: they drive useTrainRun and the session's "train" job. */

const JOB_ID = 'train';
let batcher: EventBatcher | null = null;
/** When the current run was started from this page (its closing summary says how long it took). */
let startedAt = 0;

const get = () => useTrainRun.getState();
const set = useTrainRun.setState;

function deliver(events: TrainingEvent[]): void {
  const before = get().status;
  for (const e of events) if (e.type === 'backend') useSession.getState().setBackend(e.backend);
  set((s) => applyEvents(s, events));
  if (!isActive(get().status) && before !== get().status && get().seconds === null) set({ seconds: (Date.now() - startedAt) / 1000 });
  const s = get();
  const session = useSession.getState();
  if (isActive(s.status)) {
    session.setJob(JOB_ID, { label: s.status === 'paused' ? 'Training (paused)' : s.status === 'pausing' ? `Pausing at step ${s.step}/${s.totalSteps}…` : `Training step ${s.step}/${s.totalSteps}`, done: s.step, total: s.totalSteps });
  } else {
    session.setJob(JOB_ID, null);
  }
  if ((s.status === 'finished' || s.status === 'cancelled') && before !== s.status) {
    session.setTrained(true, `this session's run (${s.status} at step ${s.step} of ${s.totalSteps})`);
  }
  // A failed run keeps the weights of its last good checkpoint, when it had one: those can be compared and exported.
  if (s.status === 'failed' && before !== 'failed') {
    void studio().hasTrainedWeights().then((has) => has && useSession.getState().setTrained(true, `the last good checkpoint of this session's failed run`), () => undefined);
  }
}

/** A fresh batcher for a new run; the previous run's late events go nowhere. */
function newBatcher(): EventBatcher {
  batcher?.dispose();
  const b = createEventBatcher(deliver);
  batcher = b;
  return b;
}

/** A run's worker call ended by throwing: say so, unless the worker's own 'failed' event did. */
function failed(b: EventBatcher, e: unknown): void {
  b.flush();
  // The worker reports 'failed' itself when the loop throws; errors before it (bad loss, no data) only reject.
  if (get().status !== 'failed') set({ status: 'failed', message: (e as Error).message });
  useSession.getState().setJob(JOB_ID, null);
}

/** `withBaseline`: measure the base model first (step 0 of the eval curve); only when the data has eval queries. */
export async function startRun(config: TrainingConfig, settings: RetrievalSettings, withBaseline: boolean): Promise<void> {
  if (isActive(get().status)) return;
  const b = newBatcher();
  set({ ...IDLE_RUN, status: 'starting', config });
  startedAt = Date.now();
  // The worker drops the previous fine-tuned weights when a run starts.
  if (useSession.getState().trained) useSession.getState().setTrained(false);
  useSession.getState().setJob(JOB_ID, { label: 'Training: measuring the base model', done: 0, total: 0, cancel: () => cancelRun() });
  try {
    if (withBaseline) {
      // The worker measures the base model at the start of train() too, from the same cached
      // token states, so this costs little and gives the eval curve its step-0 point.
      const base = await studio().evaluate(
        settings,
        'base',
        callback((stage: string, done: number, total: number) => useSession.getState().setJob(JOB_ID, { label: `Training: ${stage}`, done, total })),
      );
      set((s) => (s.evals.length === 0 ? { evals: [{ step: 0, metrics: base.metrics }] } : {}));
    }
    if (get().status === 'cancelling') {
      // Cancelled while measuring the base model: the worker had no run to cancel yet.
      set({ status: 'idle' });
      useSession.getState().setJob(JOB_ID, null);
      return;
    }
    await studio().train(config, settings, callback((e: TrainingEvent) => b.push(e)));
    b.flush();
  } catch (e) {
    failed(b, e);
  }
}

/** Continues a saved run from its checkpoint (after a reload or a crash). */
export async function resumeSavedRun(id: string): Promise<void> {
  if (isActive(get().status)) return;
  const b = newBatcher();
  set({ ...IDLE_RUN, status: 'starting' });
  startedAt = Date.now();
  useSession.getState().setJob(JOB_ID, { label: 'Resuming the run: reading its checkpoint', done: 0, total: 0, cancel: () => cancelRun() });
  try {
    const plan = await studio().prepareResume(id);
    // The page shows what the run trains with: its dataset, split, settings and config.
    if (plan.dataset) useSession.getState().setDataset(plan.dataset);
    useSettings.getState().setSplit(plan.split);
    useSettings.getState().setRetrieval(plan.run.retrieval);
    useSettings.getState().setTraining(plan.run.config);
    if (useSession.getState().trained) useSession.getState().setTrained(false);
    set({ config: plan.run.config });
    await studio().resumeRun(id, callback((e: TrainingEvent) => b.push(e)));
    b.flush();
  } catch (e) {
    failed(b, e);
  }
}

/** Starts an interrupted run that has no checkpoint again, with its dataset, split and settings. */
export async function restartSavedRun(id: string): Promise<void> {
  if (isActive(get().status)) return;
  try {
    const run = await studio().getRun(id);
    const session = useSession.getState();
    if (session.model && session.model.name !== run.model.name) {
      throw new Error(`This run fine-tuned ${run.model.name}; the loaded model is ${session.model.name}. Load ${run.model.name} in the Model panel, then restart it from the Runs panel.`);
    }
    let info = session.dataset;
    if (run.dataset.id) {
      const opened = await studio().openDataset(run.dataset.id);
      info = opened.info;
      useSettings.getState().setSplit(opened.dataset.split);
    }
    const split = run.dataset.split;
    if (split) {
      info = await studio().setSplit(split);
      useSettings.getState().setSplit(split);
    }
    if (info) useSession.getState().setDataset(info);
    useSettings.getState().setRetrieval(run.retrieval);
    useSettings.getState().setTraining(run.config);
    // The interrupted record holds nothing a new run does not: no checkpoint, no weights.
    await studio().deleteRun(id);
    await startRun(withTrainingDefaults(run.config), run.retrieval, (info?.evalQueries ?? 0) > 0);
  } catch (e) {
    set({ ...IDLE_RUN, status: 'failed', message: `Could not restart the run: ${(e as Error).message}` });
  }
}

export function pauseRun(): void {
  // Said at once: the worker answers 'paused' at the next step boundary, up to a step later.
  if (get().status === 'running') set({ status: 'pausing' });
  void studio().pause();
}

export function resumeRun(): void {
  void studio().resume();
}

export function cancelRun(): void {
  set({ status: 'cancelling' });
  void studio().cancel();
}

/**
 * A tab may be closed or discarded once hidden: ask the worker for a checkpoint then, so at most
 * the step in flight is lost. Installed once by the app.
 */
export function checkpointWhenHidden(): () => void {
  const onHide = () => {
    if (document.visibilityState === 'hidden' && get().status === 'running') void studio().requestCheckpoint();
  };
  document.addEventListener('visibilitychange', onHide);
  window.addEventListener('pagehide', onHide);
  return () => {
    document.removeEventListener('visibilitychange', onHide);
    window.removeEventListener('pagehide', onHide);
  };
}
