import { useEffect } from 'react';
import { useSession } from '../../session-store.ts';
import { restartSavedRun, resumeSavedRun } from '../train/train-actions.ts';
import { restoreLastSession } from './restore-actions.ts';
import { useRestore } from './restore-store.ts';

/** Brings back the last model and dataset once the worker is up, and says what it restored. */
export function RestoreNotice() {
  const backend = useSession((s) => s.backend);
  const notes = useRestore((s) => s.notes);
  const resumable = useRestore((s) => s.resumable);
  const dismiss = useRestore((s) => s.dismiss);
  const dropResumable = useRestore((s) => s.dropResumable);
  const setPanel = useSession((s) => s.setPanel);

  useEffect(() => {
    if (backend) void restoreLastSession();
  }, [backend]);

  if (notes.length === 0 && resumable.length === 0) return null;
  const resume = (id: string, restart: boolean) => {
    dropResumable(id);
    setPanel('train');
    void (restart ? restartSavedRun(id) : resumeSavedRun(id));
  };
  return (
    <div className="restore-notice" role="status" data-testid="restore-notice">
      <ul>
        {notes.map((n) => (
          <li key={n.text} className={n.tone === 'warn' ? 'warn-text' : undefined}>
            {n.text}
          </li>
        ))}
        {resumable.map((r) => (
          <li key={r.id} data-testid="resume-offer" data-checkpoint={r.checkpointStep ?? 'none'}>
            {r.checkpointStep !== null ? (
              <>
                A training run was interrupted at step {r.step} of {r.totalSteps} ({r.modelName} on {r.datasetName}); its checkpoint at step {r.checkpointStep} is
                saved.{' '}
                <button type="button" className="small" onClick={() => resume(r.id, false)} data-testid="resume-offer-button">
                  Resume training
                </button>
              </>
            ) : (
              <>
                A training run was interrupted before its first checkpoint ({r.modelName} on {r.datasetName}, {r.totalSteps} steps planned).{' '}
                <button type="button" className="small" onClick={() => resume(r.id, true)} data-testid="restart-offer-button">
                  Restart with the same settings
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <button type="button" className="ghost small" onClick={dismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
