import type { ModelInfo } from '../../../worker/protocol.ts';
import { formatCount } from '../../ui/format.ts';

/** What the loaded model is: architecture, size, pooling, prompts, and anything the loader warned about. */
export function ModelCard({ model }: { model: ModelInfo | null }) {
  if (!model) {
    return (
      <section className="model-card empty" aria-label="Loaded model">
        <p className="muted">No model loaded yet. Pick one of the three ways on the left.</p>
      </section>
    );
  }
  const prompts = Object.entries(model.prompts);
  return (
    <section className="model-card" aria-label="Loaded model" data-testid="model-card">
      <h3 className="model-name">{model.name}</h3>
      {model.randomWeights && (
        <p className="badge warn">Random weights — rankings mean nothing until you fine-tune.</p>
      )}
      <dl className="facts">
        <dt>Architecture</dt>
        <dd>{model.architecture}</dd>
        <dt>Parameters</dt>
        <dd title={model.parameters.toLocaleString()}>{formatCount(model.parameters)}</dd>
        <dt>Dimension</dt>
        <dd>{model.dimension}</dd>
        <dt>Layers</dt>
        <dd>{model.layers}</dd>
        <dt>Attention heads</dt>
        <dd>{model.heads}</dd>
        <dt>Max sequence length</dt>
        <dd>{model.maxSeqLength} tokens</dd>
        <dt>Pooling</dt>
        <dd><code>{model.pooling}</code>{model.includePrompt ? '' : ' (prompt tokens excluded)'}</dd>
        <dt>Normalize</dt>
        <dd>{model.normalize ? 'yes (unit-length vectors)' : 'no'}</dd>
        <dt>Prompts</dt>
        <dd>
          {prompts.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="plain">
              {prompts.map(([k, v]) => (
                <li key={k}><code>{k}</code>: <code className="prompt">{JSON.stringify(v)}</code></li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      {model.warnings.length > 0 && (
        <div className="warnings" role="note">
          <h4>Warnings</h4>
          <ul>
            {model.warnings.map((w, i) => (
              <li key={i} className="warn-text">{w}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
