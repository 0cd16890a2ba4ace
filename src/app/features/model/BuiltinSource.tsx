import { ErrorNote } from '../../ui/ErrorNote.tsx';

/** The offline model that ships with the studio, described for what it is. */
export function BuiltinSource({ disabled, error, onLoad }: { disabled: boolean; error?: string; onLoad(): void }) {
  return (
    <section className="source-card" aria-labelledby="src-builtin-title">
      <h3 id="src-builtin-title">Built-in model (offline)</h3>
      <p className="muted">
        A small BERT encoder with random weights with its own WordPiece vocabulary; fine-tuning is what gives it meaning.
        Good for trying the studio without a download — its out-of-the-box rankings are noise.
      </p>
      <button type="button" onClick={onLoad} disabled={disabled} aria-describedby="src-builtin-error">
        Load the built-in model
      </button>
      <ErrorNote id="src-builtin-error" error={error} />
    </section>
  );
}
