import { formatEta, formatLearningRate, formatRate } from './format.ts';
import type { RunState } from './run-state.ts';

/** Step/total with a progress bar, ETA, throughput, epoch and the current learning rate. */
export function RunProgress({ run }: { run: RunState }) {
  const total = Math.max(run.totalSteps, 1);
  return (
    <div className="run-progress">
      <progress data-testid="train-progress" max={total} value={run.totalSteps ? run.step : 0} aria-label="Training progress" />
      <dl className="run-stats">
        <div>
          <dt>Step</dt>
          <dd data-testid="train-step">
            {run.step}/{run.totalSteps || '—'}
          </dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd data-testid="train-eta">{run.status === 'running' ? formatEta(run.etaSeconds) : run.status === 'paused' ? 'paused' : '—'}</dd>
        </div>
        <div>
          <dt>Pairs/s</dt>
          <dd>{formatRate(run.pairsPerSecond)}</dd>
        </div>
        <div>
          <dt>Epoch</dt>
          {/* Epochs done (steps / steps per epoch): the last step of a 5-epoch run says 5.00, not where its batch began. */}
          <dd>{run.totalSteps ? (run.config ? (run.step / run.totalSteps) * run.config.epochs : run.epoch).toFixed(2) : '—'}</dd>
        </div>
        <div>
          <dt>LR</dt>
          <dd>{run.totalSteps ? formatLearningRate(run.lr) : '—'}</dd>
        </div>
        <div>
          <dt>Checkpoint</dt>
          <dd data-testid="train-checkpoint" className={run.checkpoint && !run.checkpoint.saved ? 'warn-text' : undefined} title={run.checkpoint?.message ?? undefined}>
            {run.checkpoint ? `step ${run.checkpoint.step}${run.checkpoint.saved ? ' saved' : ' not saved'}` : '—'}
          </dd>
        </div>
      </dl>
      {run.checkpoint && !run.checkpoint.saved && run.checkpoint.message && (
        <p className="warn-text small" role="status" data-testid="train-checkpoint-problem">
          Checkpoint at step {run.checkpoint.step} not saved: {run.checkpoint.message}
        </p>
      )}
      {run.notice && (
        <p className="warn-text small" role="status" data-testid="train-notice">
          {run.notice}
        </p>
      )}
    </div>
  );
}
