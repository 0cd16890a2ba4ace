import { ErrorNote } from '../../ui/ErrorNote.tsx';

/** The offline model that ships with the studio, described for what it is. */
export function BuiltinSource({ disabled, error, onLoad }: { disabled: boolean; error?: string; onLoad(): void }) {
  return (
    <section className="source-card" aria-labelledby="src-builtin-title">
      <h3 id="src-builtin-title">Built-in model (offline)</h3>
      <p className="muted">
        A small English + Chinese BERT encoder (4 layers × 128) that the studio&apos;s own engine pre-trained on
        Debian package descriptions. Its rankings make sense out of the box, though plain keyword search (BM25)
        still beats it on English; fine-tune it on your pairs with a small learning rate (2e-5–5e-5).
      </p>
      <button type="button" onClick={onLoad} disabled={disabled} aria-describedby="src-builtin-error">
        Load the built-in model
      </button>
      <ErrorNote id="src-builtin-error" error={error} />
    </section>
  );
}
