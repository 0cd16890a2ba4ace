import { useId } from 'react';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { useSplitSync } from './use-split-sync.ts';

/**
 * The train/eval split: eval fraction 0–0.5 and seed. Saved at once; sent to the worker 250 ms
 * after the last change, and only the newest answer is applied (use-split-sync.ts).
 */
export function SplitControls({ hasDataset }: { hasDataset: boolean }) {
  const id = useId();
  const split = useSettings((s) => s.split);
  const setSplit = useSettings((s) => s.setSplit);
  const error = useSplitSync(hasDataset, split);

  return (
    <fieldset className="split-controls">
      <legend>Train / eval split</legend>
      <div className="row">
        <label htmlFor={`${id}-fraction`}>Eval fraction</label>
        <input
          id={`${id}-fraction`}
          type="range"
          min={0}
          max={0.5}
          step={0.05}
          value={split.evalFraction}
          onChange={(e) => setSplit({ evalFraction: Number(e.target.value) })}
          aria-valuetext={`${Math.round(split.evalFraction * 100)} percent`}
        />
        <output htmlFor={`${id}-fraction`} className="num fixed-4">{Math.round(split.evalFraction * 100)}%</output>
        <label htmlFor={`${id}-seed`}>Seed</label>
        <input
          id={`${id}-seed`}
          type="number"
          min={0}
          step={1}
          className="narrow"
          value={split.seed}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isInteger(v) && v >= 0) setSplit({ seed: v });
          }}
        />
      </div>
      <small className="muted">
        {split.evalFraction === 0
          ? 'No rows are held out: the playground and training have nothing to evaluate on.'
          : 'Rows are split by query, so no eval query is ever trained on.'}
      </small>
      <ErrorNote error={error} />
    </fieldset>
  );
}
