import { describe, expect, it } from 'vitest';
import { throttle, type Clock } from './throttle.ts';

function fakeClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    const due = timers.filter((t) => t.at <= now);
    timers = timers.filter((t) => t.at > now);
    due.forEach((t) => t.fn());
  };
  return { clock, advance };
}

describe('throttle', () => {
  it('runs the first request at once and coalesces the rest into one trailing run', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const t = throttle(() => runs++, 200, clock);
    t.request();
    expect(runs).toBe(1);
    for (let i = 0; i < 50; i++) {
      advance(2);
      t.request();
    }
    expect(runs).toBe(1);
    advance(200);
    expect(runs).toBe(2);
    advance(1000);
    expect(runs).toBe(2);
  });

  it('never runs more than 5 times a second under a flood of requests', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const t = throttle(() => runs++, 200, clock);
    for (let i = 0; i < 1000; i++) {
      t.request();
      advance(1);
    }
    expect(runs).toBeLessThanOrEqual(6);
    expect(runs).toBeGreaterThanOrEqual(5);
  });

  it('flush runs a pending request now; cancel drops it', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const t = throttle(() => runs++, 200, clock);
    t.request();
    t.request();
    t.flush();
    expect(runs).toBe(2);
    t.flush();
    expect(runs).toBe(2);
    t.request();
    t.cancel();
    advance(500);
    expect(runs).toBe(2);
  });
});
