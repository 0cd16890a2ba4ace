import type { DatasetInfo } from '../../../worker/protocol.ts';
import { datasetCounts, LOSS_LABELS, SHAPE_LABELS } from './data-selectors.ts';

/** The reason `shapeFromMapping` gives for a hand-made mapping (src/data/shape.ts). */
const MAPPED_BY_HAND = 'columns mapped by hand';

/** What the file was read as: shape and why, columns, the losses that fit, and the counts. */
export function DatasetSummary({ info }: { info: DatasetInfo }) {
  return (
    <section className="dataset-summary" aria-label="Dataset summary" data-testid="dataset-summary">
      <h3 className="file-name">{info.file}</h3>
      <p>
        <strong>Shape:</strong>{' '}
        {info.shape ? <span data-testid="dataset-shape" data-shape={info.shape}>{SHAPE_LABELS[info.shape]}</span> : <span className="error-text" data-testid="dataset-shape">not recognised</span>}
        {info.shapeReason === MAPPED_BY_HAND ? <span className="badge">columns mapped by hand</span> : null}
      </p>
      {info.shapeReason !== MAPPED_BY_HAND && <p className="muted reason">{info.shapeReason}</p>}
      <p>
        <strong>Columns:</strong>{' '}
        {info.columns.length ? info.columns.map((c) => <code key={c} className="chip">{c}</code>) : <span className="muted">none</span>}
      </p>
      <p>
        <strong>Losses that fit:</strong>{' '}
        {info.losses.length ? info.losses.map((l) => <span key={l} className="chip" title={l}>{LOSS_LABELS[l]}</span>) : <span className="muted">none for this shape</span>}
      </p>
      <dl className="counts">
        {datasetCounts(info).map((c) => (
          <div key={c.key} title={c.hint}>
            <dt>{c.label}</dt>
            <dd className="num" data-count={c.key}>{c.value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
