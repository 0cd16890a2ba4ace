import { useEffect, useRef, useState } from 'react';
import { createSequencer } from './debounce.ts';

export interface AsyncResult<T> {
  readonly data: T | null;
  readonly error: string | null;
  /** True from the change until the newest request has answered. */
  readonly pending: boolean;
}

/**
 * Runs `run` `delayMs` after `key` last changed, and publishes only the newest request's result
 * (latest wins): a slow answer for an old key never overwrites a newer one. The previous data stays
 * on screen while a new request is pending, so the layout does not jump. `key === null` means idle.
 */
export function useLatestAsync<T>(key: string | null, run: () => Promise<T>, delayMs = 250): AsyncResult<T> {
  const [state, setState] = useState<AsyncResult<T>>({ data: null, error: null, pending: false });
  const seq = useRef(createSequencer());
  const runRef = useRef(run);
  runRef.current = run;

  useEffect(() => {
    const sequencer = seq.current;
    const ticket = sequencer.next();
    if (key === null) {
      setState({ data: null, error: null, pending: false });
      return;
    }
    setState((s) => (s.pending ? s : { ...s, pending: true }));
    const timer = setTimeout(() => {
      runRef.current().then(
        (data) => {
          if (sequencer.isCurrent(ticket)) setState({ data, error: null, pending: false });
        },
        (e: unknown) => {
          if (sequencer.isCurrent(ticket)) setState({ data: null, error: errorMessage(e), pending: false });
        },
      );
    }, delayMs);
    return () => clearTimeout(timer);
  }, [key, delayMs]);

  useEffect(() => () => seq.current.cancel(), []);
  return state;
}

/** The message of anything thrown, including errors that crossed the worker boundary. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}
