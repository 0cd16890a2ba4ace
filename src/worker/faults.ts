/**
 * Fault injection for the studio's own tests (`?faults` in the page's address, and the Node
 * tests): a lost GPU device, or a weight spoiled mid-run as a diverging run would. Kept apart
 * from the jobs it disturbs; they only offer a hook (TrainingSession.stepHook, BackendTestHooks).
 */
import type { Backend, BackendTestHooks } from '../engine/backend.ts';
import type { Session } from './session.ts';
import type { TrainingSession } from './training-session.ts';

export type InjectedFault = 'device-lost' | 'non-finite';

/** A NaN in the embeddings' LayerNorm scale, which every token passes through. */
async function poisonOneWeight(session: Session): Promise<void> {
  const loaded = session.requireModel();
  const entry = loaded.layout.entries.find((e) => e.name.endsWith('LayerNorm.weight')) ?? loaded.layout.entries[0];
  const params = await loaded.model.store.readParams();
  params[entry.offset] = Number.NaN;
  session.backend.write(loaded.model.store.params, params);
}

/** The next training step sees a NaN weight. */
export function injectNonFinite(session: Session, training: TrainingSession): void {
  if (!training.isTraining) throw new Error('no training run is going');
  training.stepHook = async (drain) => {
    training.stepHook = null;
    await drain();
    await poisonOneWeight(session);
  };
}

export function loseDevice(backend: Backend & Partial<BackendTestHooks>): void {
  if (!backend.loseDevice) throw new Error(`the ${backend.name} backend has no device to lose`);
  backend.loseDevice();
}
