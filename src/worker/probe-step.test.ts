import { describe, expect, it } from 'vitest';
import { CONFIG, profile, SETTINGS, tab, withData } from '../../test/support/studio-profile.ts';
import { HAVE_FIXTURES } from '../../test/support/tiny-bert.ts';

describe.skipIf(!HAVE_FIXTURES)('probeStep', () => {
  it('times real training steps of the configuration and leaves the base weights as they were', async () => {
    const t = await tab(profile());
    await withData(t);
    const before = await t.api.evaluate(SETTINGS, 'base');
    const probe = await t.api.probeStep(CONFIG, SETTINGS);
    expect(probe.steps).toBe(2);
    expect(probe.stepMs).toBeGreaterThan(0);
    expect(probe.firstStepMs).toBeGreaterThan(0);
    // The same token states would hide a change: measure from scratch on a fresh split.
    await t.api.setSplit({ evalFraction: 0.3, seed: 1 });
    const after = await t.api.evaluate(SETTINGS, 'base');
    expect(after.metrics).toEqual(before.metrics);
    // A run after a probe trains as one without it would (same first loss).
    const first = async () => {
      let loss = Number.NaN;
      await t.api.train({ ...CONFIG, evalEvery: 0, epochs: 1 }, SETTINGS, (e) => {
        if (e.type === 'step' && e.step === 1) loss = e.loss;
      });
      return loss;
    };
    const withProbe = await first();
    const u = await tab(profile());
    await withData(u);
    let reference = Number.NaN;
    await u.api.train({ ...CONFIG, evalEvery: 0, epochs: 1 }, SETTINGS, (e) => {
      if (e.type === 'step' && e.step === 1) reference = e.loss;
    });
    expect(withProbe).toBeCloseTo(reference, 6);
  });
});
