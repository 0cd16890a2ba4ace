import { useEffect } from 'react';
import { useSession } from '../../session-store.ts';
import { restoreLastSession, useRestore } from './restore-session.ts';

/** Brings back the last model and dataset once the worker is up, and says what it restored. */
export function RestoreNotice() {
  const backend = useSession((s) => s.backend);
  const notes = useRestore((s) => s.notes);
  const dismiss = useRestore((s) => s.dismiss);

  useEffect(() => {
    if (backend) void restoreLastSession();
  }, [backend]);

  if (notes.length === 0) return null;
  return (
    <div className="restore-notice" role="status" data-testid="restore-notice">
      <ul>
        {notes.map((n) => (
          <li key={n.text} className={n.tone === 'warn' ? 'warn-text' : undefined}>
            {n.text}
          </li>
        ))}
      </ul>
      <button type="button" className="ghost small" onClick={dismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
