import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { formatMetric, formatMs } from '../../ui/format.ts';
import { METRIC_ROWS } from '../compare/per-query.ts';
import { useBaselines } from './use-playground-results.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/**
 * "Is fine-tuning worth it against keyword search?": BM25 beside the base model and, once there
 * is one, the fine-tuned model, on this dataset's eval split under the current setting.
 */
export function BaselineBlock({ settings, revision, trained, ready }: { settings: RetrievalSettings; revision: number; trained: boolean; ready: boolean }) {
  // Asked once the current metrics are in: they share the embeddings, computed once.
  const result = useBaselines(settings, revision, trained, ready);
  const b = result.data;
  return (
    <section className="pg-baselines" data-testid="playground-baselines" data-state={b ? 'ready' : 'pending'} aria-label="BM25 baseline">
      <table className="metrics-table">
        <caption>Against keyword search (BM25)</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className="num">BM25</th>
            <th scope="col" className="num">Base</th>
            <th scope="col" className="num">Fine-tuned</th>
          </tr>
        </thead>
        <tbody>
          {METRIC_ROWS.map(({ key, label }) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td className="num" data-bm25-metric={key}>{formatMetric(b?.bm25[key] ?? null)}</td>
              <td className="num">{formatMetric(b?.base[key] ?? null)}</td>
              <td className="num">{b?.trained ? formatMetric(b.trained[key]) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        BM25: Lucene's k1 = 1.2, b = 0.75; words, and Chinese/Japanese/Korean by characters and bigrams
        {b ? ` · ranked in ${formatMs(b.bm25Milliseconds)}` : ''}.{trained ? '' : ' Fine-tuned appears after training.'}
      </p>
      <ErrorNote error={result.error} />
    </section>
  );
}
