/** Phase changes made in this process, for blocking WAIT requests and tests. */
export class JobEvents {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Something about the job changed (its phase, or it was deleted). */
  changed(jobId: string): void {
    const listeners = this.waiting.get(jobId);
    if (!listeners) return;
    this.waiting.delete(jobId);
    for (const wake of listeners) wake();
  }

  /**
   * Resolves at the next change of the job, after `ms`, or when `signal` aborts,
   * whichever comes first; never rejects.
   */
  next(jobId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const listeners = this.waiting.get(jobId) ?? new Set<() => void>();
      this.waiting.set(jobId, listeners);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        listeners.delete(done);
        if (listeners.size === 0 && this.waiting.get(jobId) === listeners) {
          this.waiting.delete(jobId);
        }
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      if (signal?.aborted) return done();
      signal?.addEventListener('abort', done, { once: true });
      listeners.add(done);
    });
  }
}
