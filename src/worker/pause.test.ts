import { describe, expect, it } from 'vitest';
import { CONFIG, profile, SETTINGS, tab, withData } from '../../test/support/studio-profile.ts';
import { HAVE_FIXTURES } from '../../test/support/tiny-bert.ts';
import type { TrainingEvent } from '../shared/events.ts';

/**
 * Pause and Cancel arrive as messages from the page: separate tasks, never inside a step's
 * callback. On the CPU backend (synchronous steps, as on wasm) they must still be heard at the
 * next step boundary.
 */
describe.skipIf(!HAVE_FIXTURES)('pause and cancel take effect at the next step boundary', () => {
  const config = { ...CONFIG, epochs: 3, evalEvery: 0 };

  it('a pause sent as a message after step 1 pauses the run by step 2', async () => {
    const t = await tab(profile());
    await withData(t);
    let lastStep = 0;
    let pausedAt = -1;
    let askedAt = -1;
    await t.api.train(config, SETTINGS, (e: TrainingEvent) => {
      if (e.type === 'step') {
        lastStep = e.step;
        if (e.step === 1) setTimeout(() => ((askedAt = lastStep), t.api.pause()), 0);
      }
      if (e.type === 'state' && e.state === 'paused' && pausedAt < 0) {
        pausedAt = lastStep;
        setTimeout(() => t.api.resume(), 0);
      }
    });
    expect(askedAt).toBeGreaterThanOrEqual(1);
    expect(pausedAt).toBeGreaterThanOrEqual(askedAt);
    expect(pausedAt - askedAt).toBeLessThanOrEqual(1);
    expect(lastStep).toBeGreaterThan(pausedAt);
  });

  it('a cancel sent as a message after step 1 stops the run within one step', async () => {
    const t = await tab(profile());
    await withData(t);
    let lastStep = 0;
    let askedAt = -1;
    const states: string[] = [];
    await t.api.train(config, SETTINGS, (e: TrainingEvent) => {
      if (e.type === 'step') {
        lastStep = e.step;
        if (e.step === 1) setTimeout(() => ((askedAt = lastStep), t.api.cancel()), 0);
      }
      if (e.type === 'state') states.push(e.state);
    });
    expect(states.at(-1)).toBe('cancelled');
    expect(lastStep - askedAt).toBeLessThanOrEqual(1);
  });
});
