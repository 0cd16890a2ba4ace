import type { OnnxVerificationReport } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { deltaDirection, formatDelta, formatMetric, formatMs } from '../../ui/format.ts';
import type { VerificationState } from './export-store.ts';

export type { OnnxVerification, OnnxVerificationReport } from '../../../worker/protocol.ts';
export type { VerifyOnnx } from './export-store.ts';
import { HEADLINE_METRICS, labelledMetrics, type RetrievalMetrics } from '../../../shared/metrics.ts';

const METRICS = labelledMetrics(HEADLINE_METRICS);

function MetricCells({ metrics, engine }: { metrics: RetrievalMetrics | undefined; engine: RetrievalMetrics | undefined }) {
  return (
    <>
      {METRICS.map(({ key }) => {
        const v = metrics?.[key];
        const d = v !== undefined && engine && metrics !== engine ? v - engine[key] : null;
        const dir = d === null ? 'same' : deltaDirection(d);
        return (
          <td key={key} className="num" data-metric={key}>
            {formatMetric(v)}
            {d !== null && dir !== 'same' && <span className={`small ${dir === 'up' ? 'delta-up' : 'delta-down'}`}> {formatDelta(d)}</span>}
          </td>
        );
      })}
    </>
  );
}

function Summary({ report }: { report: OnnxVerificationReport }) {
  const total = report.queries + report.documents;
  const what = report.queries > 0 ? `${report.queries} eval queries and ${report.documents} documents` : `${report.documents} texts`;
  return (
    <p className="muted small" data-testid="verify-onnx-summary">
      Loaded back through transformers.js ({report.runtime}), offline, from the files in this zip; {what} ({report.source}
      {report.sampled ? `, at most ${total} texts per file` : ''}); sentence vectors: {report.pooling}. max |Δ| and min cosine compare with the studio's
      embeddings of the same texts.
    </p>
  );
}

/**
 * "What you evaluated is what you ship": each exported ONNX file, run through transformers.js on
 * the eval texts, next to the studio's own embeddings and metrics.
 */
export function VerifyOnnxSection({ state, onVerify, onCancel, outdated }: { state: VerificationState; onVerify: () => void; onCancel: () => void; outdated?: boolean }) {
  const { report } = state;
  const running = state.status === 'running';
  const truncated = report?.truncatedTexts ?? 0;
  const engine = report?.engineMetrics;
  return (
    <section className="verify-onnx" aria-labelledby="verify-onnx-title" data-testid="verify-onnx" aria-busy={running}>
      <h3 id="verify-onnx-title">Verify ONNX exports</h3>
      <p className="muted small">
        After each build the worker runs every exported ONNX file the way transformers.js users will — onnxruntime-web, no network — and compares
        its embeddings and retrieval metrics with the studio's.
      </p>
      <div className="row">
        <button type="button" className="ghost" onClick={onVerify} disabled={running} data-testid="verify-onnx-run">
          {running ? 'Verifying…' : state.status === 'idle' ? 'Verify' : 'Verify again'}
        </button>
        {running && (
          <button type="button" className="ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
        {outdated && state.status === 'done' && <span className="warn-text small">Checked an earlier build.</span>}
      </div>
      <ErrorNote error={state.error && `Verification ${state.error === 'cancelled' ? 'cancelled' : `failed: ${state.error}`}`} />
      {report && (
        <>
          <Summary report={report} />
          <table data-testid="verify-onnx-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">dtype</th>
                <th scope="col" className="num" title="Largest |ONNX − studio| over all embedding components of the texts that fit max_seq_length">max |Δ|</th>
                <th scope="col" className="num">min cosine</th>
                {truncated > 0 && (
                  <th scope="col" className="num" title="Including the texts longer than max_seq_length">
                    max |Δ| all
                  </th>
                )}
                {engine && METRICS.map((m) => <th key={m.key} scope="col" className="num">{m.label}</th>)}
                <th scope="col" className="num">Time</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {engine && (
                <tr data-testid="verify-onnx-engine">
                  <td>studio engine</td>
                  <td>—</td>
                  <td className="num">—</td>
                  <td className="num">—</td>
                  {truncated > 0 && <td className="num">—</td>}
                  <MetricCells metrics={engine} engine={engine} />
                  <td className="num">—</td>
                  <td className="muted">reference</td>
                </tr>
              )}
              {report.rows.map((r) => (
                <tr key={r.file} data-dtype={r.dtype} data-ok={r.ok}>
                  <td><code>{r.file}</code></td>
                  <td>{r.dtype}</td>
                  <td className="num" data-max-abs-diff={r.fittingMaxAbsDiff}>{Number.isFinite(r.fittingMaxAbsDiff) ? r.fittingMaxAbsDiff.toExponential(2) : '—'}</td>
                  <td className="num">{Number.isFinite(r.fittingMinCosine) ? r.fittingMinCosine.toFixed(6) : '—'}</td>
                  {truncated > 0 && <td className="num">{Number.isFinite(r.maxAbsDiff) ? r.maxAbsDiff.toExponential(2) : '—'}</td>}
                  {engine && <MetricCells metrics={r.metrics} engine={engine} />}
                  <td className="num">{formatMs(r.milliseconds)}</td>
                  <td className={r.ok ? 'delta-up' : 'delta-down'} title={`tolerance ${r.tolerance.toExponential(0)}`}>
                    {r.ok ? '✓ matches' : `✗ ${r.message ?? 'differs'}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {truncated > 0 && (
            <p className="warn-text small" data-testid="verify-onnx-truncation">
              {truncated} of {report.queries + report.documents} texts are longer than max_seq_length ({report.maxSeqLength} tokens). transformers.js
              truncates at its tokenizer's model_max_length ({report.tokenizerMaxLength ?? 'unset'}) without keeping the final [SEP], so those embeddings —
              and the metrics above — differ from the studio's and sentence-transformers'. Files are judged on the texts that fit; shorten long
              texts before embedding them with transformers.js to get the studio's numbers.
            </p>
          )}
        </>
      )}
    </section>
  );
}
