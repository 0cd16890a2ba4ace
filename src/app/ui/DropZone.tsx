import type { ReactNode } from 'react';
import { useFileDrop } from './use-file-drop.ts';

interface DropZoneProps {
  onDrop(files: File[], dt: DataTransfer): void;
  /** What the overlay says while files hover over the zone. */
  overlay: string;
  disabled?: boolean;
  className?: string;
  testId?: string;
  label?: string;
  children: ReactNode;
}

/**
 * An element that accepts dropped files anywhere inside it and shows a highlight with `overlay`
 * while files hover. The overlay is absolutely positioned, so nothing moves when it appears.
 */
export function DropZone({ onDrop, overlay, disabled, className, testId, label, children }: DropZoneProps) {
  const { active, handlers } = useFileDrop(onDrop, disabled);
  return (
    <section
      className={`dropzone${active ? ' drop-active' : ''}${className ? ` ${className}` : ''}`}
      data-testid={testId}
      data-drop-active={active ? 'true' : undefined}
      aria-label={label}
      {...handlers}
    >
      {children}
      <div className="drop-overlay" aria-hidden={!active}>
        <span>{overlay}</span>
      </div>
    </section>
  );
}
