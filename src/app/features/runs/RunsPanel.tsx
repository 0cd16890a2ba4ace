import { useEffect, useState } from 'react';
import type { RunSummary } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { formatBytes } from '../../ui/format.ts';
import { isActive } from '../train/run-state.ts';
import { resumeSavedRun } from '../train/train-actions.ts';
import { useTrainRun } from '../train/train-run-store.ts';
import { RunCompare } from './RunCompare.tsx';
import { exportRunHistory, openDataset, openRun, persistStorage, refreshRuns, removeDataset, removeRun, toggleRun } from './runs-actions.ts';
import { formatRunDate, lossLabel, mrrChange, STATE_LABELS } from './runs-format.ts';
import { useRuns } from './runs-store.ts';
import { SavedDatasets } from './SavedDatasets.tsx';
import { StorageBar } from './StorageBar.tsx';

/** A run that stopped before its end (reload, crash, pause) and has a checkpoint to go on from. */
export function isResumable(run: RunSummary): boolean {
  return (run.state === 'running' || run.state === 'paused') && run.checkpointStep !== null;
}

/** The run this tab trains reads "training" (its record says "running", as an interrupted one's does) until it pauses. */
function runLabelState(run: RunSummary): RunSummary['state'] | 'training' {
  return run.trainingHere && run.state === 'running' ? 'training' : run.state;
}

function RunRow({ run, selected, busy, training, onToggle, onOpen, onResume, onExport, onDelete }: {
  run: RunSummary;
  selected: boolean;
  busy: boolean;
  training: boolean;
  onToggle(): void;
  onOpen(): void;
  onResume(): void;
  onExport(): void;
  onDelete(): void;
}) {
  const [confirming, setConfirming] = useState(false);
  const date = formatRunDate(run.created);
  return (
    <tr className={selected ? 'selected' : undefined} data-run-id={run.id}>
      <td>
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Compare the run of ${date}`} />
      </td>
      <td className="date">{date}</td>
      <td className="clip" title={run.modelName}>{run.modelName}</td>
      <td className="clip" title={run.datasetName}>{run.datasetName}</td>
      <td className="mono small">{lossLabel(run)}</td>
      <td className="num">
        {run.step} / {run.totalSteps}
      </td>
      <td className="num mono">{mrrChange(run)}</td>
      <td>
        <span className={`badge state-${runLabelState(run)}`}>{runLabelState(run) === 'training' ? 'training' : STATE_LABELS[run.state]}</span>
        {!run.hasWeights && <span className="muted small"> no weights</span>}
      </td>
      <td className="actions">
        <div className="action-list">
          {confirming ? (
            <>
              <span className="small">Delete this run{run.hasWeights ? ` and its weights (${formatBytes(run.weightsBytes)})` : ''}?</span>
              <button type="button" className="danger small" disabled={busy} onClick={() => { setConfirming(false); onDelete(); }}>
                Delete
              </button>
              <button type="button" className="ghost small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <>
              {isResumable(run) && !run.trainingHere && (
                <button type="button" className="small" disabled={busy || training} onClick={onResume} title={`Go on training from the checkpoint at step ${run.checkpointStep}`} data-testid="run-resume">
                  Resume from step {run.checkpointStep}
                </button>
              )}
              <button type="button" className="small" disabled={busy || training || !run.hasWeights} onClick={onOpen} title={run.hasWeights ? 'Load its fine-tuned weights' : 'This run has no saved weights'}>
                Reopen
              </button>
              <button type="button" className="ghost small" disabled={busy} onClick={onExport}>
                Export JSON
              </button>
              <button type="button" className="ghost small" disabled={busy} onClick={() => setConfirming(true)} aria-label={`Delete the run of ${date}`}>
                Delete…
              </button>
            </>
          )}
        </div>
      </td>
    </tr>
  );
}

/** Saved training runs: reopen one, compare two, export a history, delete; and the storage they use. */
export function RunsPanel() {
  const { runs, datasets, status, records, selected, loading, busy, error, notes } = useRuns();
  const revision = useSession((s) => s.revision);
  const currentFile = useSession((s) => s.dataset?.file ?? null);
  const training = isActive(useTrainRun((s) => s.status));
  const setPanel = useSession((s) => s.setPanel);

  // Refetch when the weights or data change (a run ended, a dataset was loaded).
  useEffect(() => {
    void refreshRuns();
  }, [revision]);

  const [a, b] = selected;
  const comparing = a && b && records[a] && records[b];

  return (
    <section className="runs-panel" aria-labelledby="runs-title">
      <div className="row">
        <h2 id="runs-title">Runs</h2>
        <button type="button" className="ghost small" onClick={() => void refreshRuns()} disabled={loading}>
          Refresh
        </button>
      </div>
      <StorageBar status={status} busy={busy !== null} onPersist={() => void persistStorage()} />
      <ErrorNote error={error} />
      {notes.length > 0 && (
        <ul className="runs-notes" role="status">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {status?.enabled === false ? null : runs.length === 0 ? (
        <p className="muted">{loading ? 'Reading saved runs…' : 'No saved runs yet. A run is saved here as it trains (a checkpoint every few steps, and when the tab is hidden), when it pauses, is cancelled or finishes — with its weights, so you can reopen it, or resume it after a reload.'}</p>
      ) : (
        <>
          <p className="muted small">Tick two runs to compare them.</p>
          <div className="runs-table-wrap">
            <table className="runs-table" data-testid="runs-table">
              <thead>
                <tr>
                  <th scope="col"><span className="visually-hidden">Compare</span></th>
                  <th scope="col">Date</th>
                  <th scope="col">Model</th>
                  <th scope="col">Dataset</th>
                  <th scope="col">Loss</th>
                  <th scope="col" className="num">Steps</th>
                  <th scope="col" className="num">MRR@10 before → after</th>
                  <th scope="col">State</th>
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <RunRow
                    key={run.id}
                    run={run}
                    selected={selected.includes(run.id)}
                    busy={busy !== null}
                    training={training}
                    onToggle={() => toggleRun(run.id)}
                    onOpen={() => void openRun(run.id)}
                    onResume={() => {
                      setPanel('train');
                      void resumeSavedRun(run.id);
                    }}
                    onExport={() => void exportRunHistory(run)}
                    onDelete={() => void removeRun(run.id)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {selected.length === 2 && !comparing && <p className="muted small">Reading both runs…</p>}
          {comparing && <RunCompare a={records[a]} b={records[b]} />}
        </>
      )}
      {status?.enabled !== false && (
        <SavedDatasets datasets={datasets} busy={busy} current={currentFile} onOpen={(id) => void openDataset(id)} onDelete={(id) => void removeDataset(id)} />
      )}
    </section>
  );
}
