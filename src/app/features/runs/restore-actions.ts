import type { ModelSource } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';
import { openSavedDataset } from '../data/data-actions.ts';
import { DATA_JOB } from '../data/use-dataset-loader.ts';
import { loadModel } from '../model/model-actions.ts';
import { MODEL_JOB, progressLabel } from '../model/use-model-loader.ts';
import { type RestoreNote, useRestore } from './restore-store.ts';
import { openSavedRun } from './runs-actions.ts';
import { formatRunDate, savedRunLabel } from './runs-format.ts';

let started = false;

/**
 * On load, once the worker is up: loads the last model choice (built-in or Hub id; never a token)
 * and the last dataset from this browser's storage, and says so. Runs once per page.
 */
export async function restoreLastSession(): Promise<void> {
  if (started) return;
  started = true;
  const notes: RestoreNote[] = [];
  const say = (note: RestoreNote) => {
    notes.push(note);
    useRestore.setState({ notes: [...notes] });
  };
  let last;
  try {
    last = await studio().lastSession();
  } catch (e) {
    say({ tone: 'warn', text: `Could not read what was saved last time: ${errorMessage(e)}` });
    return;
  }
  const session = useSession.getState();

  if (last.model && !session.model && !(MODEL_JOB in session.jobs)) {
    if (last.model.kind === 'local') {
      say({ tone: 'warn', text: `Last time you used ${last.model.name} from your own files; load it again in the Model panel (its files are not kept).` });
    } else {
      const source: ModelSource = last.model.kind === 'builtin' ? { kind: 'builtin' } : { kind: 'hub', repoId: last.model.repoId, ...(last.model.endpoint ? { endpoint: last.model.endpoint } : {}) };
      const label = last.model.kind === 'builtin' ? 'the built-in model' : last.model.repoId;
      session.setJob(MODEL_JOB, { label: `Restoring ${label}…`, done: 0, total: 0 });
      try {
        await loadModel(source, (stage, done, total) => useSession.getState().setJob(MODEL_JOB, { label: progressLabel(stage, done, total), done, total }));
        say({ tone: 'ok', text: `Loaded ${label}, the model you used last time.` });
      } catch (e) {
        say({ tone: 'warn', text: `Could not load ${label} again (${errorMessage(e)}); choose a model in the Model panel.` });
      } finally {
        useSession.getState().setJob(MODEL_JOB, null);
      }
    }
  }

  if (last.dataset && !useSession.getState().dataset && !(DATA_JOB in useSession.getState().jobs)) {
    const d = last.dataset;
    useSession.getState().setJob(DATA_JOB, { label: `Restoring ${d.name}…`, done: 0, total: 0 });
    try {
      await openSavedDataset(d.id);
      say({ tone: 'ok', text: `Restored your last dataset, ${d.name} (first loaded ${formatRunDate(d.added)}), from this browser's storage.` });
    } catch (e) {
      say({ tone: 'warn', text: `Could not restore your last dataset ${d.name}: ${errorMessage(e)}` });
    } finally {
      useSession.getState().setJob(DATA_JOB, null);
    }
  }

  await restoreLastTrainedRun(say);

  try {
    useRestore.setState({ resumable: await studio().resumableRuns() });
  } catch (e) {
    say({ tone: 'warn', text: `Could not look for interrupted training runs: ${errorMessage(e)}` });
  }
}

/**
 * Makes the newest ended run with saved weights of the restored model the "after" side again,
 * so Compare and Export after a reload use what was fine-tuned rather than the base model.
 */
async function restoreLastTrainedRun(say: (note: RestoreNote) => void): Promise<void> {
  const session = useSession.getState();
  if (!session.model || session.trained) return;
  let runs;
  try {
    runs = await studio().listRuns();
  } catch {
    return; // no storage here: nothing was kept to restore
  }
  const ended = runs
    .filter((r) => r.hasWeights && r.modelName === session.model?.name && (r.state === 'finished' || r.state === 'cancelled' || r.state === 'failed'))
    .sort((a, b) => b.updated - a.updated);
  const last = ended[0];
  if (!last) return;
  try {
    const { run } = await openSavedRun(last.id);
    say({ tone: 'ok', text: `The fine-tuned weights of ${savedRunLabel(run)} are the “after” side again: Compare and Export use them.` });
  } catch (e) {
    // Another model with the same name (other base weights), or the run is open in another tab.
    say({ tone: 'warn', text: `Could not bring back the weights of your last run: ${errorMessage(e)}` });
  }
}
