/**
 * One writer per run across tabs, with the Web Locks API: a tab holds `embedding-studio-run-<id>`
 * while the run is its current one (training it, or opened), and deleting or saving a run needs
 * that lock. A second tab asking for it gets a RunLockedError that says where the run is open.
 */

/** The part of navigator.locks used here (workers have it too). */
export interface LockManagerLike {
  request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => Promise<T> | T): Promise<T>;
}

export const runLockName = (id: string) => `embedding-studio-run-${id}`;

export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  constructor(readonly runId: string) {
    super(`This run is open in another tab of the studio (run ${runId}). Close it there, or use that tab, then try again.`);
  }
}

export class RunLocks {
  private readonly held = new Map<string, () => void>();

  /** `locks` null: no Web Locks (Node, very old browsers); every request is granted. */
  constructor(private readonly locks: LockManagerLike | null) {}

  holds(id: string): boolean {
    return this.held.has(id);
  }

  /** Takes the run's lock and keeps it until `release`; throws RunLockedError if another tab has it. */
  async hold(id: string): Promise<void> {
    if (this.held.has(id)) return;
    if (!this.locks) {
      this.held.set(id, () => undefined);
      return;
    }
    const locks = this.locks;
    await new Promise<void>((resolve, reject) => {
      locks
        .request(runLockName(id), { ifAvailable: true }, (lock) => {
          if (!lock) {
            reject(new RunLockedError(id));
            return undefined;
          }
          // The lock lasts as long as this promise is pending.
          return new Promise<void>((release) => {
            this.held.set(id, release);
            resolve();
          });
        })
        .catch(reject);
    });
  }

  release(id: string): void {
    const release = this.held.get(id);
    this.held.delete(id);
    release?.();
  }

  releaseAll(): void {
    for (const id of [...this.held.keys()]) this.release(id);
  }

  /** Runs `work` under the run's lock: the one this tab holds, or one taken just for `work`. */
  async with<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (this.held.has(id) || !this.locks) return work();
    let granted = false;
    const result = await this.locks.request(runLockName(id), { ifAvailable: true }, async (lock) => {
      if (!lock) return undefined;
      granted = true;
      return work();
    });
    if (!granted) throw new RunLockedError(id);
    return result as T;
  }
}

/**
 * An in-memory lock manager with the Web Locks semantics used here (exclusive, ifAvailable),
 * shared by several RunLocks to play several tabs in tests.
 */
export class MemoryLockManager implements LockManagerLike {
  private readonly held = new Set<string>();

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  async request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => Promise<T> | T): Promise<T> {
    if (this.held.has(name)) {
      if (options.ifAvailable) return callback(null);
      throw new Error('MemoryLockManager only implements ifAvailable requests');
    }
    this.held.add(name);
    try {
      return await callback({ name, mode: 'exclusive' });
    } finally {
      this.held.delete(name);
    }
  }
}
