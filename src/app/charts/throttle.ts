/** Timer functions, injectable so the throttling logic can be tested without real time. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Throttled {
  /** Ask for a run: runs now if the last run is at least `intervalMs` old, else once at the end of the interval. */
  request(): void;
  /** Run now if a request is pending (e.g. a state change that must show at once). */
  flush(): void;
  cancel(): void;
}

/**
 * Leading + trailing throttle: at most one run per `intervalMs`, and the last request always runs.
 * The main thread stays free however fast the worker reports.
 */
export function throttle(run: () => void, intervalMs: number, clock: Clock = realClock): Throttled {
  let last = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  let pending = false;
  const fire = () => {
    timer = null;
    pending = false;
    last = clock.now();
    run();
  };
  return {
    request() {
      pending = true;
      if (timer !== null) return;
      const wait = last + intervalMs - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    flush() {
      if (!pending) return;
      if (timer !== null) clock.clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      pending = false;
    },
  };
}
