import { sameSettings, settingsDiff } from './playground-selectors.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

interface PinBarProps {
  current: RetrievalSettings;
  pinned: RetrievalSettings | null;
  onPin(): void;
  onUnpin(): void;
  onRestore(): void;
}

/** Pin the current setting to compare against; says what differs from the pinned one. */
export function PinBar({ current, pinned, onPin, onUnpin, onRestore }: PinBarProps) {
  const diff = pinned ? settingsDiff(pinned, current) : [];
  return (
    <div className="pin-bar row">
      <button type="button" onClick={onPin} disabled={sameSettings(pinned, current)} data-testid="playground-pin">
        {pinned ? 'Pin this setting instead' : 'Pin this setting'}
      </button>
      {pinned && (
        <>
          <button type="button" className="ghost" onClick={onRestore} disabled={diff.length === 0}>Restore pinned</button>
          <button type="button" className="ghost" onClick={onUnpin}>Unpin</button>
        </>
      )}
      <span className="muted small pin-diff" aria-live="polite">
        {!pinned
          ? 'Pin a setting to compare another against it, side by side.'
          : diff.length === 0
            ? 'Current equals pinned — change a setting to compare.'
            : `Current vs pinned: ${diff.join(', ')}`}
      </span>
    </div>
  );
}
