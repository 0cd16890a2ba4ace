import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { EvalChart } from './EvalChart.tsx';
import { LossChart } from './LossChart.tsx';
import { MemoryPlan } from './MemoryPlan.tsx';
import { effectiveLoss, LOSS_CLASS_NAMES } from './losses.ts';
import { RankMovers } from './RankMovers.tsx';
import { isActive } from './run-state.ts';
import { RunControls } from './RunControls.tsx';
import { RunProgress } from './RunProgress.tsx';
import { cancelRun, pauseRun, resumeRun, startRun } from './train-actions.ts';
import { useTrainRun } from './train-run-store.ts';
import { RunSummaryCard } from './RunSummaryCard.tsx';
import { StepEstimate } from './StepEstimate.tsx';
import { lossStalled, suggestTraining } from './suggest.ts';
import { TrainingForm } from './TrainingForm.tsx';
import { formatLearningRate } from './format.ts';
import { checkDraft, draftFromConfig, totalSteps, type DraftCheck } from './validation.ts';
import { withTrainingDefaults } from '../../../shared/settings.ts';

/*
 * Each live part of the panel subscribes to the slice of the run it shows: a batch of training
 * events re-renders the progress, the charts and the movers, not the form, the memory plan or the
 * controls (those follow the run's status only).
 */

function LiveRunProgress() {
  const run = useTrainRun();
  return <RunProgress run={run} />;
}

/*
 * The charts' x axes span the run from the start: the steps the settings plan until the worker
 * reports its count (the same number unless a resumed run says otherwise), so the first step does
 * not move the axes and redraw them.
 */

function LiveLossChart({ lossName, plannedSteps }: { lossName: string; plannedSteps: number }) {
  const { steps, losses, totalSteps } = useTrainRun(useShallow((s) => ({ steps: s.lossSteps, losses: s.lossValues, totalSteps: s.totalSteps })));
  return <LossChart steps={steps} losses={losses} totalSteps={totalSteps || plannedSteps} lossName={lossName} />;
}

function LiveEvalChart({ plannedSteps }: { plannedSteps: number }) {
  const { evals, totalSteps } = useTrainRun(useShallow((s) => ({ evals: s.evals, totalSteps: s.totalSteps })));
  return <EvalChart evals={evals} totalSteps={totalSteps || plannedSteps} />;
}

/** The one-line hint when a fifth of the run is done and the loss has not moved. */
function LiveLossHint({ suggestedLr }: { suggestedLr: number }) {
  const { losses, totalSteps, lr } = useTrainRun(useShallow((s) => ({ losses: s.lossValues, totalSteps: s.totalSteps, lr: s.config?.learningRate ?? null })));
  if (!lossStalled(losses, totalSteps)) return null;
  const advice = lr !== null && lr < suggestedLr ? `try the learning rate suggested for this model, ${formatLearningRate(suggestedLr)}, or more epochs` : 'try more epochs, a larger batch, or check that positives match their queries';
  return (
    <p className="warn-text small" role="status" data-testid="loss-hint">
      The loss has not moved after 20% of the run: {advice}.
    </p>
  );
}

function LiveSummary() {
  const s = useTrainRun(
    useShallow((r) => ({ status: r.status, step: r.step, totalSteps: r.totalSteps, seconds: r.seconds, losses: r.lossValues, evals: r.evals, movers: r.movers })),
  );
  if (s.status !== 'finished' && s.status !== 'cancelled') return null;
  const n = Math.min(3, s.losses.length);
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return (
    <RunSummaryCard
      status={s.status} step={s.step} totalSteps={s.totalSteps} seconds={s.seconds}
      firstLoss={mean(s.losses.slice(0, n))} lastLoss={mean(s.losses.slice(-n))} evals={s.evals} movers={s.movers}
    />
  );
}

function LiveRankMovers() {
  const { movers, evaluated } = useTrainRun(useShallow((s) => ({ movers: s.movers, evaluated: s.evals.length > 0 })));
  return <RankMovers movers={movers} evaluated={evaluated} />;
}

/** Step 4: choose a loss and hyper-parameters, then watch the run live. */
export function TrainPanel() {
  const model = useSession((s) => s.model);
  const dataset = useSession((s) => s.dataset);
  const training = useSettings((s) => s.training);
  const retrieval = useSettings((s) => s.retrieval);
  const run = useTrainRun(
    useShallow((s) => ({ status: s.status, message: s.message, runLoss: s.config?.loss ?? null })),
  );
  const [check, setCheck] = useState<DraftCheck | null>(null);
  const suggestedFor = useSettings((s) => s.suggestedFor);
  const suggestionKey = model && dataset ? `${model.name}|${model.randomWeights}|${dataset.file}|${dataset.trainRows}` : null;
  const suggestion = model && dataset ? suggestTraining(model, dataset.trainRows, training.batchSize, 1) : null;

  // Once per model and dataset: settings that learn (rate from how the model was initialised,
  // enough steps, 10% warmup). Not over a run that is going or being resumed: that has its own.
  useEffect(() => {
    if (!suggestionKey || !suggestion || useSettings.getState().suggestedFor === suggestionKey) return;
    if (!isActive(useTrainRun.getState().status)) {
      useSettings.getState().setTraining({ learningRate: suggestion.learningRate, epochs: suggestion.epochs, warmupSteps: suggestion.warmupSteps });
    }
    useSettings.getState().setSuggestedFor(suggestionKey);
    // The key says when the model or data changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [suggestionKey]);

  const initialCheck = useMemo(
    () => (model && dataset ? checkDraft(draftFromConfig(training), { dimension: model.dimension, modelMaxSeqLength: model.maxSeqLength, trainRows: dataset.trainRows }) : null),
    // Only the first render needs it; later edits report through onCheck.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [model, dataset],
  );

  if (!model || !dataset) {
    return (
      <section aria-labelledby="train-title">
        <h2 id="train-title">Train</h2>
        <p className="muted">Load a model and a dataset first.</p>
      </section>
    );
  }

  const loss = effectiveLoss(training.loss, dataset.losses);
  const current = check ?? initialCheck;
  const errorCount = current ? Object.keys(current.errors).length : 0;
  const blocker = loss === null ? 'No loss fits this dataset' : errorCount > 0 ? `Fix ${errorCount} field${errorCount > 1 ? 's' : ''} first` : undefined;
  const active = isActive(run.status);
  const shownLoss = run.runLoss ?? loss;
  const plannedSteps = totalSteps(dataset.trainRows, training.batchSize, training.epochs);

  const start = () => {
    if (!loss || blocker) return;
    void startRun(withTrainingDefaults({ ...training, loss }), retrieval, dataset.evalQueries > 0);
  };

  return (
    <section className="train-panel" aria-labelledby="train-title">
      <div className="train-side">
        <h2 id="train-title">Train</h2>
        <TrainingForm key={suggestedFor ?? ''} model={model} dataset={dataset} disabled={active} onCheck={setCheck} />
        {loss && <StepEstimate config={withTrainingDefaults({ ...training, loss })} retrieval={retrieval} steps={plannedSteps} enabled={!active && !blocker} />}
        {loss && <MemoryPlan config={{ ...training, loss }} />}
      </div>
      <div className="train-main">
        <RunControls
          status={run.status}
          canStart={!blocker}
          startBlocker={blocker}
          onStart={start}
          onPause={pauseRun}
          onResume={resumeRun}
          onCancel={cancelRun}
        />
        <ErrorNote error={run.status === 'failed' ? run.message : null} />
        <LiveRunProgress />
        {suggestion && <LiveLossHint suggestedLr={suggestion.learningRate} />}
        <LiveSummary />
        <div className="train-charts">
          <LiveLossChart lossName={shownLoss ? LOSS_CLASS_NAMES[shownLoss] : ''} plannedSteps={plannedSteps} />
          {dataset.evalQueries > 0 ? (
            <LiveEvalChart plannedSteps={plannedSteps} />
          ) : (
            <div className="chart-box chart-placeholder" style={{ height: 240 }}>
              <p className="muted small">Retrieval metrics need (query, positive) rows and a non-empty eval split; this data has none.</p>
            </div>
          )}
        </div>
        {dataset.evalQueries > 0 && <LiveRankMovers />}
      </div>
    </section>
  );
}
