import { type FormEvent, useId, useState } from 'react';
import type { ModelSource } from '../../../worker/protocol.ts';
import { useSettings } from '../../settings-store.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { checkRepoId, HUB_SUGGESTIONS } from './model-files.ts';

/**
 * A Hugging Face Hub model id, a mirror endpoint and an optional token. The id and endpoint are
 * remembered; the token lives only in this component's state and is never persisted.
 */
export function HubSource({ disabled, error, onLoad }: { disabled: boolean; error?: string; onLoad(source: ModelSource): void }) {
  const hub = useSettings((s) => s.hub);
  const setHub = useSettings((s) => s.setHub);
  const [token, setToken] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const id = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = checkRepoId(hub.repoId);
    setInvalid(problem);
    if (problem) return;
    const endpoint = hub.endpoint.trim().replace(/\/+$/, '');
    onLoad({
      kind: 'hub',
      repoId: hub.repoId.trim(),
      ...(endpoint ? { endpoint } : {}),
      ...(token.trim() ? { token: token.trim() } : {}),
    });
  };

  return (
    <section className="source-card" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>From the Hugging Face Hub</h3>
      <form className="form-grid" onSubmit={submit}>
        <label htmlFor={`${id}-repo`}>Model id</label>
        <input
          id={`${id}-repo`}
          list={`${id}-suggestions`}
          value={hub.repoId}
          onChange={(e) => setHub({ repoId: e.target.value })}
          placeholder="organisation/name"
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${id}-error`}
          aria-invalid={invalid ? true : undefined}
        />
        <datalist id={`${id}-suggestions`}>
          {HUB_SUGGESTIONS.map((s) => (
            <option key={s.id} value={s.id}>{s.note}</option>
          ))}
        </datalist>
        <label htmlFor={`${id}-endpoint`}>Endpoint</label>
        <input
          id={`${id}-endpoint`}
          type="url"
          value={hub.endpoint}
          onChange={(e) => setHub({ endpoint: e.target.value })}
          placeholder="https://huggingface.co"
          spellCheck={false}
          aria-describedby={`${id}-endpoint-hint`}
        />
        <span />
        <small id={`${id}-endpoint-hint`} className="muted">A mirror (e.g. https://hf-mirror.com) works the same way.</small>
        <label htmlFor={`${id}-token`}>Token</label>
        <input
          id={`${id}-token`}
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="optional, for gated or private models"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-token-hint`}
        />
        <span />
        <small id={`${id}-token-hint`} className="muted">Used for this download only; never saved.</small>
        <span />
        <div>
          <button type="submit" disabled={disabled}>Download and load</button>
        </div>
      </form>
      <ErrorNote id={`${id}-error`} error={invalid ?? error} />
    </section>
  );
}
