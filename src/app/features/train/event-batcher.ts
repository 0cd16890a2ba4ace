import { realClock, throttle, type Clock } from '../../charts/throttle.ts';
import type { TrainingEvent } from '../../../shared/events.ts';

export interface EventBatcher {
  push(e: TrainingEvent): void;
  /** Delivers whatever is queued now. */
  flush(): void;
  dispose(): void;
}

/**
 * Queues worker events and hands them over in batches at most every `intervalMs` (5/s by default),
 * so React re-renders a handful of times a second however fast steps come. State changes
 * (running / paused / finished …) are delivered at once: the buttons must follow them.
 */
export function createEventBatcher(deliver: (events: TrainingEvent[]) => void, intervalMs = 200, clock: Clock = realClock): EventBatcher {
  let queue: TrainingEvent[] = [];
  // Events of a run whose batcher was replaced (a late checkpoint save) must not reach the new run's view.
  let disposed = false;
  const t = throttle(() => {
    const batch = queue;
    queue = [];
    if (batch.length > 0) deliver(batch);
  }, intervalMs, clock);
  return {
    push(e) {
      if (disposed) return;
      queue.push(e);
      t.request();
      if (e.type === 'state') t.flush();
    },
    flush() {
      t.request();
      t.flush();
    },
    dispose() {
      disposed = true;
      t.cancel();
      queue = [];
    },
  };
}
