/**
 * An error message placed next to the control that caused it: the one way the page shows an error.
 * The live region is always in the DOM (hidden while empty) so screen readers announce new
 * errors; `reserve` keeps a line of space so nothing jumps. `className` adds to the note's
 * classes (e.g. `small`); `testId` is its data-testid.
 */
export function ErrorNote({ error, reserve = false, id, className, testId }: { error: string | null | undefined; reserve?: boolean; id?: string; className?: string; testId?: string }) {
  return (
    <div id={id} className={`error-note${reserve ? ' reserve' : ''}${className ? ` ${className}` : ''}`} role="alert" aria-live="assertive" data-testid={testId}>
      {error ? <span className="error-text">{error}</span> : null}
    </div>
  );
}
