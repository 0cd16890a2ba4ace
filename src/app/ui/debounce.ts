/**
 * Latest-wins sequencing for async work started from UI changes: every start gets a ticket, and
 * only the newest ticket may publish its result, so a slow old request never overwrites a newer one.
 */
export interface Sequencer {
  /** A ticket for a new request; invalidates every earlier ticket. */
  next(): number;
  /** True while `ticket` is the newest one handed out and not cancelled. */
  isCurrent(ticket: number): boolean;
  /** Invalidates all tickets (unmount, reset). */
  cancel(): void;
}

export function createSequencer(): Sequencer {
  let latest = 0;
  return {
    next: () => ++latest,
    isCurrent: (ticket) => ticket === latest,
    cancel: () => {
      latest++;
    },
  };
}
