import { isActive, type RunStatus } from './run-state.ts';

export interface RunControlsProps {
  readonly status: RunStatus;
  readonly canStart: boolean;
  readonly startBlocker?: string;
  readonly onStart: () => void;
  readonly onPause: () => void;
  readonly onResume: () => void;
  readonly onCancel: () => void;
}

/** Start / Pause / Resume / Cancel, enabled by the worker's last 'state' event. */
export function RunControls({ status, canStart, startBlocker, onStart, onPause, onResume, onCancel }: RunControlsProps) {
  const active = isActive(status);
  return (
    <div className="row run-controls">
      <button type="button" onClick={onStart} disabled={active || !canStart} data-testid="train-start" title={startBlocker}>
        {status === 'finished' || status === 'cancelled' || status === 'failed' ? 'Train again' : 'Start training'}
      </button>
      {status === 'paused' ? (
        <button type="button" className="ghost" onClick={onResume} data-testid="train-resume">
          Resume
        </button>
      ) : (
        <button type="button" className="ghost" onClick={onPause} disabled={status !== 'running'} data-testid="train-pause">
          {status === 'pausing' ? 'Pausing…' : 'Pause'}
        </button>
      )}
      <button type="button" className="ghost" onClick={onCancel} disabled={!(status === 'running' || status === 'pausing' || status === 'paused' || status === 'starting')} data-testid="train-cancel">
        {status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
      </button>
      <span className="muted" role="status" aria-live="polite" data-testid="train-status">
        {statusText(status)}
      </span>
      {!active && !canStart && startBlocker && <span className="error-text small">{startBlocker}</span>}
    </div>
  );
}

export function statusText(status: RunStatus): string {
  switch (status) {
    case 'idle':
      return 'Not started';
    case 'starting':
      return 'Measuring the base model…';
    case 'running':
      return 'Training';
    case 'pausing':
      return 'Pausing… (at the end of this step)';
    case 'paused':
      return 'Paused';
    case 'cancelling':
      return 'Cancelling…';
    case 'cancelled':
      return 'Cancelled — the weights so far are kept as the fine-tuned model';
    case 'finished':
      return 'Finished';
    case 'failed':
      return 'Failed';
  }
}
