/**
 * Who may use the model's weights when. Evaluate / compare / project / verify jobs run as
 * cancellable jobs; a probe step (timing training before a run) writes the weights, so it waits
 * for the jobs going and everything that reads the weights waits for it; a run refuses probes.
 */
export class JobGate {
  /** The running jobs' controllers (cancelAll aborts them) and promises (a probe waits for them). */
  private readonly controllers = new Set<AbortController>();
  private readonly running = new Set<Promise<unknown>>();
  private probing: Promise<unknown> | null = null;

  /** Waits until no probe step is going. */
  async afterProbe(): Promise<void> {
    while (this.probing) await this.probing.catch(() => undefined);
  }

  /** Runs work as a cancellable job (cancelAll stops it). */
  async job<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // Inline, so nothing runs between the last check and the job being counted.
    while (this.probing) await this.probing.catch(() => undefined);
    const controller = new AbortController();
    this.controllers.add(controller);
    const job = work(controller.signal);
    this.running.add(job);
    try {
      return await job;
    } finally {
      this.running.delete(job);
      this.controllers.delete(controller);
    }
  }

  /** Stops the running jobs; their promises reject with an AbortError. */
  cancelAll(): void {
    for (const c of this.controllers) c.abort();
  }

  /** Runs a probe once nothing else uses the weights; `refuse` says why not at that moment, if so. */
  async probe<T>(refuse: () => string | null, work: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.probing) await this.probing.catch(() => undefined);
      else if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else break;
    }
    const why = refuse();
    if (why) throw new Error(why);
    const probe = work();
    this.probing = probe;
    try {
      return await probe;
    } finally {
      if (this.probing === probe) this.probing = null;
    }
  }
}
