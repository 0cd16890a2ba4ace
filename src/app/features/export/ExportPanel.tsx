import { useEffect, useMemo, useRef } from 'react';
import { useSession } from '../../session-store.ts';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { CodeBlock } from './CodeBlock.tsx';
import { buildExport, cancelWorkerJob, verifyExport, workerVerifyOnnx } from './export-actions.ts';
import { exportKey, formatBytes, sortFiles, useExport, type VerifyOnnx } from './export-store.ts';
import { GpuRecipeSection } from './GpuRecipeSection.tsx';
import { HubPushSection } from './HubPushSection.tsx';
import { generateSnippets } from './snippets.ts';
import { VerifyOnnxSection } from './VerifyOnnxSection.tsx';

export interface ExportPanelProps {
  /**
   * How the exported ONNX files are checked after each build (default: the studio worker, through
   * transformers.js and onnxruntime-web). `null` turns the check and its section off.
   */
  readonly verifyOnnx?: VerifyOnnx | null;
}

/** Step 6: the model as a sentence-transformers folder (with ONNX for transformers.js), and how to use it. */
export function ExportPanel({ verifyOnnx = workerVerifyOnnx }: ExportPanelProps) {
  const model = useSession((s) => s.model);
  const trained = useSession((s) => s.trained);
  const trainedFrom = useSession((s) => s.trainedFrom);
  const revision = useSession((s) => s.revision);
  const settings = useSettings((s) => s.retrieval);
  const training = useSettings((s) => s.training);
  const dataset = useSession((s) => s.dataset);
  const exp = useExport();
  const link = useRef<HTMLAnchorElement>(null);
  const snippets = useMemo(() => generateSnippets({ settings, modelName: model?.name ?? 'model' }), [settings, model?.name]);
  const outdated = exp.status === 'ready' && exp.key !== exportKey(settings, revision);

  // Move focus to the download link when a build finishes, so keyboard users land on it.
  const wasBuilding = useRef(false);
  useEffect(() => {
    if (wasBuilding.current && exp.status === 'ready') link.current?.focus();
    wasBuilding.current = exp.status === 'building';
  }, [exp.status]);

  if (!model) {
    return (
      <section aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p className="muted">Load a model first.</p>
      </section>
    );
  }

  return (
    <section className="export-panel" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p data-testid="export-weights" className={trained ? undefined : 'warn-text'}>
        {trained
          ? `Builds the fine-tuned weights of ${trainedFrom ?? 'the last run'}.`
          : 'Builds the base model’s weights: nothing is fine-tuned yet. Train, or reopen a run in Runs, to export fine-tuned weights.'}
      </p>
      <p>
        {trained ? 'The fine-tuned' : 'The base (not fine-tuned)'} <strong>{model.name}</strong> as a sentence-transformers folder with ONNX files for
        transformers.js, using the current retrieval settings: pooling <code>{settings.pooling}</code>
        {settings.includePrompt ? '' : ' (prompt excluded)'}, {settings.normalize ? 'L2-normalised' : 'not normalised'}.
      </p>
      <div className="row export-actions">
        <button
          type="button"
          onClick={() => void buildExport(settings, revision, verifyOnnx ?? undefined)}
          disabled={exp.status === 'building' || exp.verification.status === 'running'}
          data-testid="export-build"
        >
          {exp.status === 'building' ? 'Building model.zip…' : exp.status === 'ready' ? 'Rebuild model.zip' : 'Build model.zip'}
        </button>
        {exp.url ? (
          <a ref={link} className="button-link" href={exp.url} download="model.zip" data-testid="export-download">
            Download model.zip ({formatBytes(exp.bytes)})
          </a>
        ) : (
          <span className="muted small">The zip is built in memory; nothing is uploaded.</span>
        )}
        {outdated && <span className="warn-text small">Settings or weights changed since this zip was built — rebuild to include them.</span>}
      </div>
      <ErrorNote error={exp.error && `Export failed: ${exp.error}`} />

      <div className="export-grid">
        <section aria-labelledby="export-files-title" className="export-files">
          <h3 id="export-files-title">Files</h3>
          {exp.files.length > 0 ? (
            <ul className="file-list" data-testid="export-files">
              {sortFiles(exp.files).map((f) => (
                <li key={f} title={`model/${f}`}>
                  <code>model/{f}</code> <span className="muted small" data-testid="export-file-size">{formatBytes(exp.sizes[f] ?? 0)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">Listed after the build.</p>
          )}
        </section>
        <section aria-labelledby="export-usage-title" className="export-usage">
          <h3 id="export-usage-title">Use it</h3>
          {snippets.notes.length > 0 && (
            <ul className="notes small" data-testid="snippet-notes">
              {snippets.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <CodeBlock title="Python — sentence-transformers" code={snippets.python} testId="snippet-python" />
          <CodeBlock
            title={`JavaScript — transformers.js${snippets.jsPath === 'manual' ? ' (pooling by hand)' : ''}`}
            code={snippets.transformersJs}
            testId="snippet-js"
          />
        </section>
      </div>

      <div className="export-handoff">
        <HubPushSection settings={settings} defaultName={model.name.split('/').pop()?.replace(/[^A-Za-z0-9._-]+/g, '-') || 'model'} />
        <GpuRecipeSection config={training} settings={settings} hasData={dataset !== null} />
      </div>

      {/* ---- Verify ONNX exports: what you evaluated is what you ship (see VerifyOnnxSection.tsx) ---- */}
      {verifyOnnx && (
        <VerifyOnnxSection
          state={exp.verification}
          outdated={exp.verification.key !== null && exp.verification.key !== exportKey(settings, revision)}
          onVerify={() => void verifyExport(settings, revision, verifyOnnx)}
          onCancel={cancelWorkerJob}
        />
      )}
    </section>
  );
}
