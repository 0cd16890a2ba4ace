import { useSession } from '../../session-store.ts';
import { ProgressNote } from '../../ui/ProgressNote.tsx';
import { BuiltinSource } from './BuiltinSource.tsx';
import { HubSource } from './HubSource.tsx';
import { LocalSource } from './LocalSource.tsx';
import { ModelCard } from './ModelCard.tsx';
import { MODEL_JOB, useModelLoader } from './use-model-loader.ts';

/** Step 1: choose a model (built-in, Hub, or local files) and see what it is. */
export function ModelPanel() {
  const model = useSession((s) => s.model);
  const job = useSession((s) => s.jobs[MODEL_JOB]);
  const { loading, errors, load } = useModelLoader();

  return (
    <div className="model-panel">
      <h2>Model</h2>
      <div className="model-layout">
        <div className="sources">
          <BuiltinSource disabled={loading} error={errors.builtin} onLoad={() => void load('builtin', () => ({ kind: 'builtin' }))} />
          <HubSource disabled={loading} error={errors.hub} onLoad={(source) => void load('hub', () => source)} />
          <LocalSource disabled={loading} error={errors.local} onLoad={(getSource) => void load('local', getSource)} />
        </div>
        <div className="model-side">
          <ProgressNote job={job} idle={model ? 'Loaded.' : ''} />
          <ModelCard model={model} />
        </div>
      </div>
    </div>
  );
}
