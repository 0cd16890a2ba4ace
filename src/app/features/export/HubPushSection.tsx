import { useState } from 'react';
import type { HubPushProgress, HubPushResult } from '../../../worker/protocol.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { cancelHubPush, pushToHub } from './export-actions.ts';
import { formatBytes } from './export-store.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

const PHASES: Record<HubPushProgress['phase'], string> = {
  checking: 'Checking the token and the repo',
  creating: 'Creating the repo',
  hashing: 'Hashing the files',
  uploading: 'Uploading',
  committing: 'Committing',
  verifying: 'Checking what the repo holds',
  done: 'Done',
};

type PushState =
  | { readonly status: 'idle' }
  | { readonly status: 'pushing'; readonly progress: HubPushProgress | null }
  | { readonly status: 'done'; readonly result: HubPushResult }
  | { readonly status: 'failed'; readonly error: string };

/**
 * Push the export to a Hugging Face Hub repo. The token is kept in this form's state only while
 * the panel is open, sent to the worker for the one push and never stored (not in IndexedDB, not
 * in the settings, not in the URL).
 */
export function HubPushSection({ settings, defaultName }: { readonly settings: RetrievalSettings; readonly defaultName: string }) {
  const [repo, setRepo] = useState('');
  const [token, setToken] = useState('');
  const [isPrivate, setPrivate] = useState(true);
  const [update, setUpdate] = useState(false);
  const [hubUrl, setHubUrl] = useState('');
  const [state, setState] = useState<PushState>({ status: 'idle' });
  const pushing = state.status === 'pushing';

  const push = async () => {
    setState({ status: 'pushing', progress: null });
    try {
      const result = await pushToHub(
        settings,
        { repo: repo.trim(), token, private: isPrivate, updateExisting: update, ...(hubUrl.trim() ? { hubUrl: hubUrl.trim() } : {}) },
        (progress) => setState((s) => (s.status === 'pushing' ? { status: 'pushing', progress } : s)),
      );
      setState({ status: 'done', result });
    } catch (e) {
      setState({ status: 'failed', error: (e as Error).message });
    }
  };

  const p = state.status === 'pushing' ? state.progress : null;
  return (
    <section aria-labelledby="hub-push-title" className="hub-push" data-testid="hub-push">
      <h3 id="hub-push-title">Push to the Hugging Face Hub</h3>
      <p className="small muted">
        The same files as model.zip, with a model card naming the repo. The token is used for this push only and is never saved; it needs write access
        (huggingface.co → Settings → Access Tokens).
      </p>
      <form
        className="hub-push-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!pushing) void push();
        }}
      >
        <label>
          Repo <input value={repo} onChange={(e) => setRepo(e.target.value)} placeholder={`your-name/${defaultName}`} required data-testid="hub-push-repo" spellCheck={false} />
        </label>
        <label>
          Access token <input type="password" value={token} onChange={(e) => setToken(e.target.value)} placeholder="hf_…" autoComplete="off" required data-testid="hub-push-token" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} data-testid="hub-push-private" /> Private repo
        </label>
        <label className="inline">
          <input type="checkbox" checked={update} onChange={(e) => setUpdate(e.target.checked)} data-testid="hub-push-update" /> Add a commit if the repo exists
        </label>
        <details>
          <summary className="small">Endpoint</summary>
          <label>
            Hub URL <input value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} placeholder="https://huggingface.co" data-testid="hub-push-endpoint" spellCheck={false} />
          </label>
        </details>
        <div className="row">
          <button type="submit" disabled={pushing || !repo.trim() || !token} data-testid="hub-push-start">
            {pushing ? 'Pushing…' : 'Push to the Hub'}
          </button>
          {pushing && (
            <button type="button" onClick={cancelHubPush} data-testid="hub-push-cancel">
              Cancel
            </button>
          )}
        </div>
      </form>
      {pushing && (
        <div className="small" role="status" data-testid="hub-push-progress">
          {p ? `${PHASES[p.phase]}${p.file ? ` ${p.file}` : ''}: ${formatBytes(p.bytesSent)} of ${formatBytes(p.bytesTotal)}` : 'Exporting…'}
          {p && <progress max={p.bytesTotal || 1} value={p.bytesSent} />}
        </div>
      )}
      {state.status === 'done' && (
        <p role="status" data-testid="hub-push-done">
          Pushed {state.result.files} files ({formatBytes(state.result.bytes)}){state.result.created ? ' to a new repo' : ''}:{' '}
          <a href={state.result.url} target="_blank" rel="noreferrer" data-testid="hub-push-url">
            {state.result.url}
          </a>
        </p>
      )}
      <ErrorNote error={state.status === 'failed' ? `Push failed: ${state.error}` : null} testId="hub-push-error" />
    </section>
  );
}
