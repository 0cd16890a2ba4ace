import { describe, expect, it } from 'vitest';
import { useSession } from '../session-store.ts';
import { jobEtaSeconds } from './job-eta.ts';

describe('the shared job bar', () => {
  it('measures the ETA from the start of the current stage, and only after 2 s', () => {
    const t0 = 1_000_000;
    const job = { label: 'embedding documents', done: 25, total: 100, stageStartedAt: t0 };
    expect(jobEtaSeconds(job, t0 + 1000)).toBeNull();
    expect(jobEtaSeconds(job, t0 + 5000)).toBeCloseTo(15);
    expect(jobEtaSeconds({ ...job, done: 0 }, t0 + 5000)).toBeNull();
    expect(jobEtaSeconds({ ...job, total: 0 }, t0 + 5000)).toBeNull();
  });
  it('keeps a job\'s stage start and its Cancel across progress updates, and starts a new stage when the words change', () => {
    const cancel = () => {};
    const { setJob } = useSession.getState();
    setJob('j', { label: 'Evaluating: embedding queries', done: 0, total: 10, cancel });
    const first = useSession.getState().jobs.j;
    setJob('j', { label: 'Evaluating: embedding queries', done: 5, total: 10 });
    expect(useSession.getState().jobs.j.cancel).toBe(cancel);
    expect(useSession.getState().jobs.j.stageStartedAt).toBe(first.stageStartedAt);
    setJob('j', { label: 'Evaluating: embedding documents', done: 1, total: 40 });
    expect(useSession.getState().jobs.j.stageStartedAt).toBeGreaterThanOrEqual(first.stageStartedAt!);
    expect(useSession.getState().jobs.j.label).toBe('Evaluating: embedding documents');
    setJob('j', null);
    expect(useSession.getState().jobs.j).toBeUndefined();
  });
});
