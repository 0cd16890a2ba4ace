import { useEffect } from 'react';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { ensureComparison, setMapMethod } from './compare-actions.ts';
import { compareKey, useCompare } from './compare-store.ts';
import { MetricsTable } from './MetricsTable.tsx';
import { ProjectionMaps } from './ProjectionMaps.tsx';
import { QueryTable } from './QueryTable.tsx';
import { MAP_LABELS, MAP_METHODS } from '../../../shared/names.ts';

/** Step 5: base vs fine-tuned with the current retrieval settings — metrics, per query, and maps. */
export function CompareView() {
  const trained = useSession((s) => s.trained);
  const revision = useSession((s) => s.revision);
  const dataset = useSession((s) => s.dataset);
  const settings = useSettings((s) => s.retrieval);
  const c = useCompare();
  const hasEval = (dataset?.evalQueries ?? 0) > 0;
  const stale = c.key !== compareKey(settings, revision);

  useEffect(() => {
    // Skips work already done (or under way) for these settings.
    if (trained && hasEval) void ensureComparison(settings, revision);
  }, [trained, hasEval, settings, revision]);

  if (!trained) {
    return (
      <section aria-labelledby="compare-title">
        <h2 id="compare-title">Compare</h2>
        <p className="muted">Train first: this view compares the base model with the fine-tuned one.</p>
      </section>
    );
  }
  if (!hasEval) {
    return (
      <section aria-labelledby="compare-title">
        <h2 id="compare-title">Compare</h2>
        <p className="muted">Retrieval comparison needs (query, positive) rows and a non-empty eval split; this dataset has none.</p>
      </section>
    );
  }

  const busy = c.compareState === 'running' || c.projectState === 'running';
  return (
    <section className="compare-view" aria-labelledby="compare-title" aria-busy={busy}>
      <div className="row">
        <h2 id="compare-title">Compare</h2>
        <span className="muted small">
          pooling <code>{settings.pooling}</code>, {settings.normalize ? 'normalised' : 'not normalised'}, query <code>{settings.queryTemplate}</code>, document{' '}
          <code>{settings.corpusTemplate}</code>
        </span>
        <button type="button" className="ghost" disabled={busy} onClick={() => void ensureComparison(settings, revision, true)} data-testid="compare-rerun">
          {stale ? 'Compare with these settings' : 'Recompute'}
        </button>
      </div>
      <ErrorNote error={c.compareError && `Compare failed: ${c.compareError}`} />
      <div className="compare-top">
        <div className="compare-metrics">
          <h3>Metrics (eval split)</h3>
          {c.comparison ? <MetricsTable comparison={c.comparison} /> : <div className="table-placeholder" aria-hidden="true" />}
          {c.compareState === 'running' && <p className="muted small" role="status">Embedding the eval queries and corpus with both weights…</p>}
        </div>
        <div className="compare-queries">{c.comparison ? <QueryTable comparison={c.comparison} /> : <div className="table-placeholder tall" aria-hidden="true" />}</div>
      </div>
      <ErrorNote error={c.projectError && `Projection failed: ${c.projectError}`} />
      <div className="row map-methods" role="radiogroup" aria-label="Map method">
        <span className="muted small">Map:</span>
        {MAP_METHODS.map((m) => (
          <label key={m} className="radio">
            <input type="radio" name="map-method" value={m} checked={c.method === m} onChange={() => void setMapMethod(m, settings, revision)} data-testid={`map-method-${m}`} />
            {MAP_LABELS[m]}
          </label>
        ))}
      </div>
      {c.projection ? (
        <ProjectionMaps points={c.projection} method={c.method} />
      ) : (
        <div className="projection-placeholder" role="status">
          <p className="muted small">{c.projectState === 'running' ? `Projecting with ${MAP_LABELS[c.method]}…` : c.compareState === 'running' ? 'The maps follow the comparison.' : ''}</p>
        </div>
      )}
    </section>
  );
}
