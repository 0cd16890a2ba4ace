import type { StorageStatus } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { storageLine, usageFraction } from './runs-format.ts';

/** Used / available space, whether the browser keeps it, and a warning when it is nearly full. */
export function StorageBar({ status, busy, onPersist }: { status: StorageStatus | null; busy: boolean; onPersist(): void }) {
  if (!status) return <div className="storage-bar muted small">Reading storage use…</div>;
  const line = storageLine(status);
  return (
    <div className={`storage-bar tone-${line.tone}`} data-testid="storage-bar">
      <div className="row">
        {status.enabled && status.known && (
          <meter min={0} max={1} low={0.75} high={0.9} optimum={0} value={usageFraction(status)} aria-label="Storage used" />
        )}
        <span className="small">{line.text}</span>
        {status.enabled && status.persisted === false && (
          <button type="button" className="ghost small" disabled={busy} onClick={onPersist}>
            Keep my data persistently
          </button>
        )}
      </div>
      {line.warning && (
        <p className="warn-text small" role="alert">
          {line.warning}
        </p>
      )}
      <ErrorNote error={status.saveProblem} className="small" testId="save-problem" />
    </div>
  );
}
