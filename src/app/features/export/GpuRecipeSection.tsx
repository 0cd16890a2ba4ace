import { useEffect, useState } from 'react';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { CodeBlock } from './CodeBlock.tsx';
import { buildRecipeZip } from './export-actions.ts';
import { formatBytes } from './export-store.ts';
import type { RetrievalSettings, TrainingConfig } from '../../../shared/settings.ts';

type RecipeState =
  | { readonly status: 'idle' }
  | { readonly status: 'building' }
  | { readonly status: 'ready'; readonly url: string; readonly bytes: number; readonly files: number }
  | { readonly status: 'failed'; readonly error: string };

const COMMANDS = [
  'unzip recipe.zip && cd recipe',
  'pip install -r requirements.txt',
  'python train.py                                                    # one GPU',
  'accelerate launch --config_file accelerate_config.yaml --num_processes N train.py   # N GPUs',
].join('\n');

/**
 * "Continue on GPUs": the run as a sentence-transformers project (train.py, the data split,
 * pinned requirements, an accelerate config and a README of what maps to what), built from the
 * Train panel's settings, to take to a machine with GPUs.
 */
export function GpuRecipeSection({ config, settings, hasData }: { readonly config: TrainingConfig; readonly settings: RetrievalSettings; readonly hasData: boolean }) {
  const [state, setState] = useState<RecipeState>({ status: 'idle' });
  useEffect(() => () => {
    if (state.status === 'ready') URL.revokeObjectURL(state.url);
  }, [state]);

  const build = async () => {
    setState({ status: 'building' });
    try {
      setState({ status: 'ready', ...(await buildRecipeZip(config, settings)) });
    } catch (e) {
      setState({ status: 'failed', error: (e as Error).message });
    }
  };

  return (
    <section aria-labelledby="gpu-recipe-title" className="gpu-recipe" data-testid="gpu-recipe">
      <h3 id="gpu-recipe-title">Continue on GPUs</h3>
      <p className="small muted">
        A sentence-transformers training project that reproduces this run with <code>SentenceTransformerTrainer</code> — the same base model, pooling,
        prompts, loss, {config.loss === 'mnrl' ? 'in-batch negatives, ' : ''}batch size ({config.batchSize}), learning rate and schedule, on the same
        train/eval split — for one GPU or many. Its README says what maps to what, and which studio options have no exact equivalent.
      </p>
      <div className="row">
        <button type="button" onClick={() => void build()} disabled={!hasData || state.status === 'building'} data-testid="gpu-recipe-build">
          {state.status === 'building' ? 'Building recipe.zip…' : 'Build recipe.zip'}
        </button>
        {!hasData && <span className="muted small">Load a dataset first.</span>}
        {state.status === 'ready' && (
          <a className="button-link" href={state.url} download="recipe.zip" data-testid="gpu-recipe-download">
            Download recipe.zip ({state.files} files, {formatBytes(state.bytes)})
          </a>
        )}
      </div>
      <ErrorNote error={state.status === 'failed' ? `Recipe failed: ${state.error}` : null} />
      <CodeBlock title="On the GPU machine" code={COMMANDS} testId="gpu-recipe-commands" />
    </section>
  );
}
