import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../session-store.ts';
import { createSequencer } from '../../ui/debounce.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { studio } from '../../worker-client.ts';

/**
 * Sends the train/eval split to the worker 250 ms after its last change, and applies only the
 * newest answer (the dataset's new counts). Returns the error of the last attempt.
 */
export function useSplitSync(hasDataset: boolean, split: { readonly evalFraction: number; readonly seed: number }): string | null {
  const [error, setError] = useState<string | null>(null);
  const applied = useRef(`${split.evalFraction}/${split.seed}`);
  const seq = useRef(createSequencer());

  useEffect(() => {
    const key = `${split.evalFraction}/${split.seed}`;
    if (!hasDataset || key === applied.current) return;
    const sequencer = seq.current;
    const ticket = sequencer.next();
    const timer = setTimeout(() => {
      studio()
        .setSplit({ evalFraction: split.evalFraction, seed: split.seed })
        .then(
          (info) => {
            if (!sequencer.isCurrent(ticket)) return;
            applied.current = key;
            setError(null);
            useSession.getState().setDataset(info);
          },
          (e: unknown) => {
            if (sequencer.isCurrent(ticket)) setError(errorMessage(e));
          },
        );
    }, 250);
    return () => clearTimeout(timer);
  }, [hasDataset, split.evalFraction, split.seed]);

  return error;
}
