import { useState } from 'react';
import type { RetrievalSettings } from '../../../worker/protocol.ts';

/**
 * ======================  Verify ONNX exports (NOT WIRED YET)  ======================
 * Another engineer wires this to a worker call. ExportPanel renders it only when it is given a
 * `verifyOnnx` function, so nothing here shows until real numbers exist.
 * Expected worker method (not in StudioApi today):
 *   verifyOnnx(settings: RetrievalSettings, onProgress?: ProgressCallback): Promise<OnnxVerification[]>
 * which runs each exported onnx/*.onnx file (onnxruntime-web) on a sample of eval texts and
 * compares with the engine's own embeddings of the same weights and settings.
 */
export interface OnnxVerification {
  /** e.g. "onnx/model.onnx". */
  readonly file: string;
  readonly dtype: 'fp32' | 'fp16' | 'int8';
  readonly texts: number;
  /** Largest |onnx - engine| over all embedding components. */
  readonly maxAbsDiff: number;
  /** Smallest cosine similarity between an ONNX embedding and the engine's. */
  readonly minCosine: number;
  readonly ok: boolean;
  readonly message?: string;
}

export type VerifyOnnx = (settings: RetrievalSettings) => Promise<readonly OnnxVerification[]>;

export function VerifyOnnxSection({ verify, settings }: { verify: VerifyOnnx; settings: RetrievalSettings }) {
  const [state, setState] = useState<{ running: boolean; rows: readonly OnnxVerification[] | null; error: string | null }>({ running: false, rows: null, error: null });
  const run = () => {
    setState({ running: true, rows: null, error: null });
    verify(settings).then(
      (rows) => setState({ running: false, rows, error: null }),
      (e: unknown) => setState({ running: false, rows: null, error: (e as Error).message }),
    );
  };
  return (
    <section className="verify-onnx" aria-labelledby="verify-onnx-title" data-testid="verify-onnx">
      <h3 id="verify-onnx-title">Verify ONNX exports</h3>
      <p className="muted small">Runs every exported ONNX file on eval texts and compares its embeddings with the studio's own.</p>
      <button type="button" className="ghost" onClick={run} disabled={state.running}>
        {state.running ? 'Verifying…' : 'Verify'}
      </button>
      {state.error && <p className="error-text" role="alert">{state.error}</p>}
      {state.rows && (
        <table>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">dtype</th>
              <th scope="col" className="num">Texts</th>
              <th scope="col" className="num">max |Δ|</th>
              <th scope="col" className="num">min cosine</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {state.rows.map((r) => (
              <tr key={r.file}>
                <td><code>{r.file}</code></td>
                <td>{r.dtype}</td>
                <td className="num">{r.texts}</td>
                <td className="num">{r.maxAbsDiff.toExponential(2)}</td>
                <td className="num">{r.minCosine.toFixed(6)}</td>
                <td className={r.ok ? 'delta-up' : 'delta-down'}>{r.ok ? '✓ matches' : `✗ ${r.message ?? 'differs'}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
