import { useId } from 'react';
import { POOLING_OPTIONS, templateWarning, WEIGHT_LABELS } from './playground-selectors.ts';
import type { PoolingModeName } from '../../../shared/names.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';
import type { WeightsState } from '../../../shared/events.ts';

interface SettingsFormProps {
  settings: RetrievalSettings;
  onChange(patch: Partial<RetrievalSettings>): void;
  weights: WeightsState;
  /** Offered only once a run has produced fine-tuned weights. */
  trained: boolean;
  onWeights(weights: WeightsState): void;
}

/** How texts become vectors: pooling, normalisation, prompts, templates, and which weights. */
export function SettingsForm({ settings, onChange, weights, trained, onWeights }: SettingsFormProps) {
  const id = useId();
  const qWarn = templateWarning(settings.queryTemplate);
  const dWarn = templateWarning(settings.corpusTemplate);
  return (
    <fieldset className="pg-settings">
      <legend>Retrieval settings</legend>
      <div className="form-grid">
        <label htmlFor={`${id}-pooling`}>Pooling</label>
        <select id={`${id}-pooling`} value={settings.pooling} onChange={(e) => onChange({ pooling: e.target.value as PoolingModeName })}>
          {POOLING_OPTIONS.map((p) => (
            <option key={p.value} value={p.value}>{p.label}</option>
          ))}
        </select>

        <span className="form-label">Options</span>
        <div className="row">
          <label className="check">
            <input type="checkbox" checked={settings.normalize} onChange={(e) => onChange({ normalize: e.target.checked })} />
            Normalize
          </label>
          <label className="check" title="Whether the template's prompt tokens take part in pooling (sentence-transformers' include_prompt)">
            <input type="checkbox" checked={settings.includePrompt} onChange={(e) => onChange({ includePrompt: e.target.checked })} />
            Include prompt in pooling
          </label>
        </div>

        <label htmlFor={`${id}-qt`}>Query template</label>
        <div>
          <input id={`${id}-qt`} className="wide mono" value={settings.queryTemplate} onChange={(e) => onChange({ queryTemplate: e.target.value })} placeholder="query: {text}" spellCheck={false} aria-describedby={`${id}-qt-warn`} />
          <small id={`${id}-qt-warn`} className="warn-text hint-line">{qWarn ?? ''}</small>
        </div>

        <label htmlFor={`${id}-dt`}>Document template</label>
        <div>
          <input id={`${id}-dt`} className="wide mono" value={settings.corpusTemplate} onChange={(e) => onChange({ corpusTemplate: e.target.value })} placeholder="passage: {text}" spellCheck={false} aria-describedby={`${id}-dt-warn`} />
          <small id={`${id}-dt-warn`} className="warn-text hint-line">{dWarn ?? ''}</small>
        </div>

        <span className="form-label">Weights</span>
        <div className="row" role="radiogroup" aria-label="Weights">
          {(['base', 'trained'] as const).map((w) => (
            <label key={w} className="check">
              <input type="radio" name={`${id}-weights`} value={w} checked={weights === w} disabled={w === 'trained' && !trained} onChange={() => onWeights(w)} />
              {WEIGHT_LABELS[w]}
            </label>
          ))}
          {!trained && <small className="muted">fine-tuned weights appear after a training run</small>}
        </div>
      </div>
    </fieldset>
  );
}
