/**
 * An error message placed next to the control that caused it. The live region is always in the
 * DOM so screen readers announce new errors; `reserve` keeps a line of space so nothing jumps.
 */
export function ErrorNote({ error, reserve = false, id }: { error: string | null | undefined; reserve?: boolean; id?: string }) {
  return (
    <div id={id} className={`error-note${reserve ? ' reserve' : ''}`} role="alert" aria-live="assertive">
      {error ? <span className="error-text">{error}</span> : null}
    </div>
  );
}
