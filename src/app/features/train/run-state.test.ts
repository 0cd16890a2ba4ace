import { describe, expect, it } from 'vitest';
import { createEventBatcher } from './event-batcher.ts';
import { applyEvents, IDLE_RUN, smoothLoss } from './run-state.ts';
import type { Clock } from '../../charts/throttle.ts';
import type { RetrievalMetrics } from '../../../shared/metrics.ts';
import type { TrainingEvent } from '../../../shared/events.ts';

const metrics = (v: number): RetrievalMetrics => ({ 'accuracy@1': v, 'recall@1': v, 'recall@5': v, 'recall@10': v, 'mrr@10': v, 'ndcg@10': v, 'map@100': v });
const step = (s: number, loss: number): TrainingEvent => ({ type: 'step', step: s, totalSteps: 10, epoch: s / 10, loss, lr: 1e-5, pairsPerSecond: 32, etaSeconds: 10 - s });

describe('applyEvents', () => {
  it('appends losses, keeps the latest progress and follows state events', () => {
    let s = applyEvents(IDLE_RUN, [{ type: 'state', state: 'running' }, step(1, 2), step(2, 1.5)]);
    expect(s.status).toBe('running');
    expect(s.lossSteps).toEqual([1, 2]);
    expect(s.lossValues).toEqual([2, 1.5]);
    expect(s.step).toBe(2);
    expect(s.etaSeconds).toBe(8);
    s = applyEvents(s, [step(3, Number.NaN), { type: 'eval', step: 3, metrics: metrics(0.5), movers: [{ query: 'q', before: 5, now: 1, delta: 4 }] }]);
    expect(s.lossSteps).toEqual([1, 2]);
    expect(s.evals).toEqual([{ step: 3, metrics: metrics(0.5) }]);
    expect(s.movers[0].delta).toBe(4);
    s = applyEvents(s, [{ type: 'eval', step: 3, metrics: metrics(0.6), movers: [] }, { type: 'state', state: 'finished' }]);
    expect(s.evals).toHaveLength(1);
    expect(s.evals[0].metrics['mrr@10']).toBe(0.6);
    expect(s.status).toBe('finished');
    expect(s.etaSeconds).toBe(0);
  });
  it('stays "cancelling" through the worker\'s resume-to-cancel, until cancelled', () => {
    const s = applyEvents({ ...IDLE_RUN, status: 'cancelling' }, [{ type: 'state', state: 'running' }]);
    expect(s.status).toBe('cancelling');
    expect(applyEvents(s, [{ type: 'state', state: 'cancelled' }]).status).toBe('cancelled');
  });
  it('stays "pausing" while steps still arrive, until the worker says paused', () => {
    const s = applyEvents({ ...IDLE_RUN, status: 'pausing' }, [step(4, 2), { type: 'state', state: 'running' }]);
    expect(s.status).toBe('pausing');
    expect(s.step).toBe(4);
    expect(applyEvents(s, [{ type: 'state', state: 'paused' }]).status).toBe('paused');
    expect(applyEvents(s, [{ type: 'state', state: 'cancelled' }]).status).toBe('cancelled');
  });
  it('rewinds to a history (a resumed run, or the last checkpoint after a lost GPU) even within one batch', () => {
    let s = applyEvents(IDLE_RUN, [step(1, 3), step(2, 2.5), step(3, 2.4), { type: 'checkpoint', step: 2, saved: true }]);
    expect(s.checkpoint).toEqual({ step: 2, saved: true, message: null });
    s = applyEvents(s, [
      step(4, 2.2),
      { type: 'backend', backend: { adapter: { summary: 'cpu' } as never, fallbackReason: 'no GPU' }, message: 'the GPU device was lost' },
      { type: 'history', step: 2, totalSteps: 10, losses: [{ step: 1, loss: 3, lr: 1e-5 }, { step: 2, loss: 2.5, lr: 1e-5 }], evals: [{ step: 0, metrics: metrics(0.1) }] },
      step(3, 2.41),
    ]);
    expect(s.lossSteps).toEqual([1, 2, 3]);
    expect(s.lossValues).toEqual([3, 2.5, 2.41]);
    expect(s.evals).toEqual([{ step: 0, metrics: metrics(0.1) }]);
    expect(s.notice).toBe('the GPU device was lost');
    expect(s.step).toBe(3);
  });
  it('returns the same object for no events', () => {
    expect(applyEvents(IDLE_RUN, [])).toBe(IDLE_RUN);
  });
});

describe('smoothLoss', () => {
  it('is bias-corrected: a constant stays constant from the first step', () => {
    expect(smoothLoss([2, 2, 2]).map((v) => +v.toFixed(9))).toEqual([2, 2, 2]);
    const s = smoothLoss([4, 0], 0.5);
    expect(s[0]).toBeCloseTo(4);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 * 4 + 0) / 0.75);
  });
});

describe('createEventBatcher', () => {
  it('batches step events and delivers state events at once', () => {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => timers.push({ at: now + ms, fn }), clearTimeout: () => timers.splice(0) };
    const delivered: TrainingEvent[][] = [];
    const b = createEventBatcher((e) => delivered.push(e), 200, clock);
    b.push(step(1, 1));
    expect(delivered).toHaveLength(1);
    now = 10;
    b.push(step(2, 1));
    b.push(step(3, 1));
    expect(delivered).toHaveLength(1);
    b.push({ type: 'state', state: 'paused' });
    expect(delivered).toHaveLength(2);
    expect(delivered[1].map((e) => e.type)).toEqual(['step', 'step', 'state']);
    b.flush();
    expect(delivered).toHaveLength(2);
  });
});
