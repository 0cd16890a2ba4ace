import { useMemo, useState } from 'react';
import type { DatasetInfo, ModelInfo } from '../../../worker/protocol.ts';
import { useSettings } from '../../settings-store.ts';
import { Field } from './Field.tsx';
import { formatLearningRate } from './format.ts';
import { effectiveLoss, lossOptions } from './losses.ts';
import { suggestTraining, WARMUP_RATIO } from './suggest.ts';
import { checkDraft, draftFromConfig, totalSteps, type DraftCheck, type DraftField, type TrainingDraft } from './validation.ts';
import type { LossId, SchedulerKind } from '../../../shared/names.ts';
import { SUGGESTED_LR } from '../../../shared/settings.ts';

export interface TrainingFormProps {
  readonly model: ModelInfo;
  readonly dataset: DatasetInfo;
  readonly disabled: boolean;
  /** Called on every edit with the current check, so the panel can enable Start. */
  readonly onCheck?: (check: DraftCheck) => void;
}

/** Loss, basic and advanced hyper-parameters; valid edits go straight to the persisted settings. */
export function TrainingForm({ model, dataset, disabled, onCheck }: TrainingFormProps) {
  const training = useSettings((s) => s.training);
  const setTraining = useSettings((s) => s.setTraining);
  const [draft, setDraft] = useState<TrainingDraft>(() => draftFromConfig(training));
  const ctx = useMemo(
    () => ({ dimension: model.dimension, modelMaxSeqLength: model.maxSeqLength, trainRows: dataset.trainRows }),
    [model.dimension, model.maxSeqLength, dataset.trainRows],
  );
  const check = useMemo(() => checkDraft(draft, ctx), [draft, ctx]);
  const options = lossOptions(dataset.losses);
  const loss = effectiveLoss(training.loss, dataset.losses);

  const edit = (field: DraftField, value: string) => {
    const next = { ...draft, [field]: value };
    setDraft(next);
    const c = checkDraft(next, ctx);
    onCheck?.(c);
    if (!c.errors[field] && c.values[field] !== undefined) setTraining({ [field]: c.values[field] });
  };

  const field = (f: DraftField, label: string, hint?: string, inputMode: 'numeric' | 'decimal' | 'text' = 'numeric') => (
    <Field
      id={`train-${f}`}
      label={label}
      value={draft[f]}
      onChange={(v) => edit(f, v)}
      error={check.errors[f]}
      warning={check.warnings[f]}
      hint={hint}
      disabled={disabled}
      inputMode={inputMode}
    />
  );

  const batch = check.values.batchSize ?? training.batchSize;
  const epochs = check.values.epochs ?? training.epochs;
  const steps = totalSteps(dataset.trainRows, batch, epochs);
  const suggestion = suggestTraining(model, dataset.trainRows, batch, 1);
  const suggestedWarmup = Math.round(WARMUP_RATIO * steps);
  const followsSuggestion = training.learningRate === suggestion.learningRate && training.warmupSteps === suggestedWarmup && epochs >= suggestion.epochs;
  const useSuggestion = () => {
    const patch = { learningRate: suggestion.learningRate, epochs: Math.max(epochs, suggestion.epochs), warmupSteps: Math.round(WARMUP_RATIO * totalSteps(dataset.trainRows, batch, Math.max(epochs, suggestion.epochs))) };
    setTraining(patch);
    const next = { ...draft, learningRate: String(patch.learningRate), epochs: String(patch.epochs), warmupSteps: String(patch.warmupSteps) };
    setDraft(next);
    onCheck?.(checkDraft(next, ctx));
  };

  return (
    <form className="train-form" onSubmit={(e) => e.preventDefault()} aria-label="Training settings">
      <fieldset className="loss-choice" disabled={disabled}>
        <legend>Loss</legend>
        {options.length === 0 && <p className="error-text">No loss in this studio trains on {dataset.shape ?? 'this'} data.</p>}
        {options.map((o) => (
          <label key={o.id} className="radio-row">
            <input type="radio" name="train-loss" value={o.id} checked={loss === o.id} onChange={() => setTraining({ loss: o.id as LossId })} />
            <span>
              <code>{o.name}</code>
              {o.recommended && <span className="pill">recommended</span>}
              <span className="muted small block">{o.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>

      <div className="field-grid three">
        {field('epochs', 'Epochs')}
        {field('batchSize', 'Batch size')}
        {field(
          'learningRate',
          'Learning rate',
          // A random init needs big steps; a trained model is only nudged (sentence-transformers' 2e-5–5e-5).
          model.randomWeights ? `random weights: e.g. ${formatLearningRate(SUGGESTED_LR.random)}` : `pre-trained: e.g. ${formatLearningRate(2e-5)}–${formatLearningRate(SUGGESTED_LR.pretrained)}`,
          'decimal',
        )}
      </div>
      <p className="muted small" data-testid="train-steps-estimate">
        {dataset.trainRows} training rows → {steps} steps
      </p>
      <p className="small" data-testid="train-suggestion">
        Suggested for {model.randomWeights ? 'this random-init model' : 'this pre-trained model'}: learning rate {formatLearningRate(suggestion.learningRate)}, warmup 10% of
        steps, at least {suggestion.epochs} epoch{suggestion.epochs === 1 ? '' : 's'} here ({suggestion.why}).{' '}
        {!followsSuggestion && (
          <button type="button" className="ghost small" onClick={useSuggestion} disabled={disabled} data-testid="train-use-suggestion">
            Use these
          </button>
        )}
      </p>

      <details className="advanced">
        <summary>Advanced</summary>
        <div className="field-grid">
          {field('warmupSteps', 'Warmup steps')}
          {field('weightDecay', 'Weight decay', undefined, 'decimal')}
          {field('adamBeta1', 'Adam beta1', 'adam_beta1, default 0.9', 'decimal')}
          {field('adamBeta2', 'Adam beta2', 'adam_beta2, default 0.999', 'decimal')}
          {field('adamEpsilon', 'Adam epsilon', 'adam_epsilon, default 1e-8', 'decimal')}
          {field('maxSeqLength', 'Max length (tokens)', `model: ${model.maxSeqLength}`)}
          <div className="field">
            <label htmlFor="train-scheduler">Scheduler</label>
            <select
              id="train-scheduler"
              value={training.scheduler}
              disabled={disabled}
              onChange={(e) => setTraining({ scheduler: e.target.value as SchedulerKind })}
            >
              <option value="linear">linear</option>
              <option value="constant">constant</option>
            </select>
            <span className="field-note muted">after warmup</span>
          </div>
          {field('seed', 'Seed')}
          {field('evalEvery', 'Evaluate every (steps)', '0 = only at the end')}
          {field('checkpointEvery', 'Checkpoint every (steps)', 'the first after step 1; 0 and 0 s = only on pause and when the tab is hidden')}
          {field('checkpointSeconds', 'or every (seconds)', 'whichever comes first; 0 = steps only')}
        </div>
        <Field
          id="train-matryoshkaDims"
          label="Matryoshka dims"
          value={draft.matryoshkaDims}
          onChange={(v) => edit('matryoshkaDims', v)}
          error={check.errors.matryoshkaDims}
          warning={check.warnings.matryoshkaDims}
          hint={`comma list, e.g. ${[model.dimension, model.dimension >> 1, model.dimension >> 2].join(', ')}; empty = off`}
          disabled={disabled}
          inputMode="text"
          placeholder="off"
        />
      </details>
    </form>
  );
}
