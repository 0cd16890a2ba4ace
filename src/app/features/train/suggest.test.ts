import { describe, expect, it } from 'vitest';
import { lossStalled, PRETRAINED_LR, RANDOM_INIT_LR, suggestTraining } from './suggest.ts';

describe('suggestTraining', () => {
  it('suggests a from-scratch rate and enough steps for random weights, a fine-tuning rate for pre-trained ones, 10% warmup for both', () => {
    const r = suggestTraining({ randomWeights: true }, 48, 16, 1);
    expect(r.learningRate).toBe(RANDOM_INIT_LR);
    expect(r.epochs).toBe(16); // 3 steps an epoch; ~48 steps wanted
    expect(r.warmupSteps).toBe(5);
    const p = suggestTraining({ randomWeights: false }, 1000, 32, 2);
    expect(p).toMatchObject({ learningRate: PRETRAINED_LR, epochs: 2, warmupSteps: 6 });
    // A small dataset gets enough epochs to move a pre-trained model as well.
    expect(suggestTraining({ randomWeights: false }, 48, 16, 1)).toMatchObject({ learningRate: PRETRAINED_LR, epochs: 16, warmupSteps: 5 });
    // More epochs than suggested are kept.
    expect(suggestTraining({ randomWeights: true }, 48, 16, 30).epochs).toBe(30);
  });
});

describe('lossStalled', () => {
  it('says so only after 20% of the run, and only when the loss has not moved', () => {
    const flat = Array.from({ length: 20 }, (_, i) => 2.6 + (i % 2 ? 0.01 : -0.01));
    expect(lossStalled(flat.slice(0, 10), 100)).toBe(false); // under 20%
    expect(lossStalled(flat, 100)).toBe(true);
    const falling = Array.from({ length: 20 }, (_, i) => 2.6 - i * 0.05);
    expect(lossStalled(falling, 100)).toBe(false);
    expect(lossStalled([], 0)).toBe(false);
  });
});
