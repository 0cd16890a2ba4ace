import { describe, expect, it } from 'vitest';
import { MemoryLockManager, RunLockedError, runLockName, RunLocks } from './locks.ts';

describe('run locks across tabs', () => {
  it('refuses a second tab while the first holds the run, with a clear message', async () => {
    const manager = new MemoryLockManager();
    const tabA = new RunLocks(manager);
    const tabB = new RunLocks(manager);
    await tabA.hold('r1');
    expect(manager.isHeld(runLockName('r1'))).toBe(true);
    const error = await tabB.hold('r1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunLockedError);
    expect((error as Error).message).toMatch(/open in another tab/);
    await expect(tabB.with('r1', async () => 'written')).rejects.toBeInstanceOf(RunLockedError);
    // Another run is free, and the holder itself may write.
    await expect(tabB.with('r2', async () => 'other')).resolves.toBe('other');
    await expect(tabA.with('r1', async () => 'mine')).resolves.toBe('mine');
    tabA.release('r1');
    await Promise.resolve();
    await expect(tabB.with('r1', async () => 'now')).resolves.toBe('now');
    await tabB.hold('r1');
    expect(tabB.holds('r1')).toBe(true);
  });

  it('lets two writers of one run in: never at the same time', async () => {
    const manager = new MemoryLockManager();
    const a = new RunLocks(manager), b = new RunLocks(manager);
    let release!: () => void;
    const first = a.with('r', () => new Promise<string>((r) => (release = () => r('a'))));
    await Promise.resolve();
    await expect(b.with('r', async () => 'b')).rejects.toThrow(/another tab/);
    release();
    await expect(first).resolves.toBe('a');
    await expect(b.with('r', async () => 'b')).resolves.toBe('b');
  });

  it('grants everything where there is no Web Locks API', async () => {
    const locks = new RunLocks(null);
    await locks.hold('x');
    await expect(locks.with('x', async () => 1)).resolves.toBe(1);
    locks.releaseAll();
    expect(locks.holds('x')).toBe(false);
  });
});
