import { describe, expect, it } from 'vitest';
import { checkDraft, draftFromConfig, parseMatryoshkaDims, totalSteps } from './validation.ts';
import { DEFAULT_TRAINING } from '../../../shared/settings.ts';

const ctx = { dimension: 384, modelMaxSeqLength: 256, trainRows: 1000 };

describe('parseMatryoshkaDims', () => {
  it('accepts an empty list (Matryoshka off)', () => {
    expect(parseMatryoshkaDims('', 384)).toEqual({ dims: [] });
    expect(parseMatryoshkaDims('  ,  ', 384)).toEqual({ dims: [] });
  });
  it('parses, trims and sorts largest first', () => {
    expect(parseMatryoshkaDims('128, 384 ,256', 384)).toEqual({ dims: [384, 256, 128] });
    expect(parseMatryoshkaDims('384 64', 384).dims).toEqual([384, 64]);
  });
  it('rejects dims outside 1..dimension, non-integers and repeats', () => {
    expect(parseMatryoshkaDims('512, 256', 384).error).toMatch(/512 is outside 1\.\.384/);
    expect(parseMatryoshkaDims('0', 384).error).toMatch(/outside/);
    expect(parseMatryoshkaDims('256.5', 384).error).toMatch(/not a whole number/);
    expect(parseMatryoshkaDims('-64', 384).error).toMatch(/not a whole number/);
    expect(parseMatryoshkaDims('abc', 384).error).toMatch(/not a whole number/);
    expect(parseMatryoshkaDims('256, 256', 384).error).toMatch(/twice/);
  });
  it('warns (without failing) when the full dimension is missing', () => {
    const r = parseMatryoshkaDims('256, 128', 384);
    expect(r.error).toBeUndefined();
    expect(r.dims).toEqual([256, 128]);
    expect(r.warning).toMatch(/384/);
  });
});

describe('checkDraft', () => {
  it('passes the default config', () => {
    const c = checkDraft(draftFromConfig(DEFAULT_TRAINING), ctx);
    expect(c.errors).toEqual({});
    expect(c.values.learningRate).toBe(5e-5);
    expect(c.values.matryoshkaDims).toEqual([]);
  });
  it('reports each bad field by name', () => {
    const d = { ...draftFromConfig(DEFAULT_TRAINING), epochs: '0', batchSize: '1.5', learningRate: '5e-', weightDecay: '-1', seed: '', matryoshkaDims: '999' };
    const c = checkDraft(d, ctx);
    expect(Object.keys(c.errors).sort()).toEqual(['batchSize', 'epochs', 'learningRate', 'matryoshkaDims', 'seed', 'weightDecay']);
    expect(c.errors.learningRate).toMatch(/number/);
    expect(c.values.epochs).toBeUndefined();
    expect(c.values.maxSeqLength).toBe(128);
  });
  it("takes Adam's betas and epsilon (TrainingArguments' adam_beta1 / adam_beta2 / adam_epsilon) within torch's limits", () => {
    const base = draftFromConfig(DEFAULT_TRAINING);
    expect([base.adamBeta1, base.adamBeta2, base.adamEpsilon]).toEqual(['0.9', '0.999', '1e-8']);
    const good = checkDraft({ ...base, adamBeta1: '0.8', adamBeta2: '0.98', adamEpsilon: '1e-6' }, ctx);
    expect(good.errors).toEqual({});
    expect([good.values.adamBeta1, good.values.adamBeta2, good.values.adamEpsilon]).toEqual([0.8, 0.98, 1e-6]);
    const bad = checkDraft({ ...base, adamBeta1: '1', adamBeta2: '-0.1', adamEpsilon: '0' }, ctx);
    expect(bad.errors).toEqual({ adamBeta1: 'Adam beta1 must be less than 1', adamBeta2: 'Adam beta2 must be at least 0', adamEpsilon: 'Adam epsilon must be greater than 0' });
    // Settings saved before these fields existed show the defaults they trained with.
    const { adamBeta1: _b1, adamBeta2: _b2, adamEpsilon: _e, ...old } = DEFAULT_TRAINING;
    expect(draftFromConfig(old).adamEpsilon).toBe('1e-8');
  });
  it('accepts scientific learning rates and rejects zero', () => {
    expect(checkDraft({ ...draftFromConfig(DEFAULT_TRAINING), learningRate: '2e-5' }, ctx).values.learningRate).toBe(2e-5);
    expect(checkDraft({ ...draftFromConfig(DEFAULT_TRAINING), learningRate: '0' }, ctx).errors.learningRate).toBeDefined();
  });
  it('warns about warmup longer than the run and a length beyond the model', () => {
    const c = checkDraft({ ...draftFromConfig(DEFAULT_TRAINING), warmupSteps: '100', batchSize: '100', epochs: '1', maxSeqLength: '512' }, ctx);
    expect(c.errors).toEqual({});
    expect(c.warnings.warmupSteps).toMatch(/only 10 steps/);
    expect(c.warnings.maxSeqLength).toMatch(/256/);
  });
});

describe('totalSteps', () => {
  it('counts partial batches like the trainer', () => {
    expect(totalSteps(1000, 16, 1)).toBe(63);
    expect(totalSteps(1000, 16, 3)).toBe(189);
    expect(totalSteps(0, 16, 3)).toBe(0);
  });
});
