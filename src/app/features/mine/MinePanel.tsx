import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { downloadText } from '../../ui/download.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { formatMs } from '../../ui/format.ts';
import { Field } from '../train/Field.tsx';
import { plainSettings } from '../playground/playground-selectors.ts';
import { parseMineForm } from './mine-form.ts';
import { MinedTable } from './MinedTable.tsx';
import { minedTripletsJsonl, mineNegatives, trainOnMinedTriplets } from './mine-actions.ts';
import { useMine } from './mine-store.ts';

/**
 * Hard-negative mining with sentence-transformers' knobs, a person in the loop: the current model
 * proposes negatives for every (anchor, positive) row, the person rejects false negatives, and
 * the rest become a triplet dataset that Train uses (and that can be exported as JSONL).
 */
export function MinePanel() {
  const dataset = useSession((s) => s.dataset);
  const trained = useSession((s) => s.trained);
  const setPanel = useSession((s) => s.setPanel);
  const retrieval = useSettings((s) => s.retrieval);
  const m = useMine();
  const { options, errors } = parseMineForm(m.form);
  const pairs = dataset?.shape === 'pairs' || dataset?.shape === 'triplets';
  const busy = m.state !== 'idle';
  const kept = m.summary ? m.summary.negatives - m.rejected.size : 0;

  return (
    <section className="mine-panel" aria-labelledby="mine-title">
      <h2 id="mine-title">Mine hard negatives</h2>
      <p className="muted small">
        For each (anchor, positive) row, the {trained ? 'fine-tuned' : 'base'} model ranks every document; the closest ones that are not a
        positive become candidate negatives (exact search, sentence-transformers' <code>mine_hard_negatives</code> rules). Reject the ones that
        actually answer the anchor, then train on the rest.
      </p>
      {!pairs ? (
        <p className="notice" role="note">Mining needs (anchor, positive) pairs or triplets{dataset ? `; "${dataset.file}" is ${dataset.shape ?? 'not recognised'}` : ''}.</p>
      ) : (
        <>
          <form
            className="mine-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (options) void mineNegatives(plainSettings(retrieval), options);
            }}
          >
            <Field id="mine-range-min" label="range_min" value={m.form.rangeMin} onChange={(v) => m.setForm({ rangeMin: v })} error={errors.rangeMin} hint="skip the closest" />
            <Field id="mine-range-max" label="range_max" value={m.form.rangeMax} onChange={(v) => m.setForm({ rangeMax: v })} error={errors.rangeMax} hint="empty: all" />
            <Field id="mine-margin" label="margin" inputMode="decimal" value={m.form.margin} onChange={(v) => m.setForm({ margin: v })} error={errors.margin} placeholder="None" hint="neg ≤ pos − margin" />
            <Field id="mine-relative-margin" label="relative_margin" inputMode="decimal" value={m.form.relativeMargin} onChange={(v) => m.setForm({ relativeMargin: v })} error={errors.relativeMargin} placeholder="None" hint="neg ≤ pos·(1 − m)" />
            <Field id="mine-num-negatives" label="num_negatives" value={m.form.numNegatives} onChange={(v) => m.setForm({ numNegatives: v })} error={errors.numNegatives} hint="per pair" />
            <div className="field">
              <label htmlFor="mine-sampling">sampling_strategy</label>
              <select id="mine-sampling" value={m.form.samplingStrategy} onChange={(e) => m.setForm({ samplingStrategy: e.target.value === 'random' ? 'random' : 'top' })}>
                <option value="top">top</option>
                <option value="random">random</option>
              </select>
              <span className="field-note muted">use_faiss: exact search</span>
            </div>
            <button type="submit" disabled={busy || !options} data-testid="mine-run">
              {m.state === 'mining' ? 'Mining…' : m.summary ? 'Mine again' : 'Mine negatives'}
            </button>
          </form>
          <ErrorNote error={m.error} />
          {m.saved && (
            <p className="notice ok" role="status" data-testid="mine-saved">
              {m.saved.triplets} triplets ({m.saved.rejected} rejected) are now the dataset <code>{m.saved.name}</code>, saved with your datasets.{' '}
              <button type="button" className="link" onClick={() => setPanel('train')}>Train on them →</button>
            </p>
          )}
          {m.summary && (
            <>
              <p className="small" data-testid="mine-summary">
                {m.summary.negatives.toLocaleString()} candidates for {m.summary.pairs.toLocaleString()} pairs from {m.summary.corpus.toLocaleString()} documents
                {m.summary.shortPairs ? `; ${m.summary.shortPairs} pairs found fewer than ${m.summary.options.numNegatives}` : ''} · {formatMs(m.summary.milliseconds)} ·{' '}
                <strong data-testid="mine-rejected">{m.rejected.size} rejected</strong>, {kept} kept
              </p>
              <p className="muted small">
                Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>x</kbd> rejects or restores the negative under the cursor.
              </p>
              <MinedTable total={m.summary.negatives} />
              <div className="row">
                <button type="button" disabled={busy || kept === 0} onClick={() => void trainOnMinedTriplets()} data-testid="mine-use">
                  Use {kept} triplets as training data
                </button>
                <button
                  type="button"
                  className="ghost"
                  disabled={busy || kept === 0}
                  onClick={() => void minedTripletsJsonl().then((text) => downloadText('mined-triplets.jsonl', text, 'application/jsonl'))}
                  data-testid="mine-export"
                >
                  Export JSONL
                </button>
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}
