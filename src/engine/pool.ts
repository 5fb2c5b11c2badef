/**
 * A fixed set of database connections handed out one query or transaction at a time.
 * Waiting for a connection can be abandoned through an AbortSignal (query timeouts).
 */
import { EngineError } from './types.js';

export class ConnectionPool<C> {
  private readonly idle: C[] = [];
  private readonly waiting: { resolve: (c: C) => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  constructor(connections: readonly C[]) {
    this.idle.push(...connections);
  }

  acquire(signal?: AbortSignal): Promise<C> {
    if (this.closed) return Promise.reject(new EngineError('the catalog engine is closed'));
    const ready = this.idle.pop();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<C>((resolve, reject) => {
      const waiter = {
        resolve: (c: C) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject,
      };
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new EngineError('gave up waiting for a free catalog connection'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(connection: C): void {
    const next = this.waiting.shift();
    if (next) next.resolve(connection);
    else this.idle.push(connection);
  }

  async use<T>(work: (connection: C) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const connection = await this.acquire(signal);
    try {
      return await work(connection);
    } finally {
      this.release(connection);
    }
  }

  /** Refuses new work and returns the idle connections; busy ones come back through release. */
  close(): C[] {
    this.closed = true;
    for (const w of this.waiting.splice(0))
      w.reject(new EngineError('the catalog engine is closed'));
    return this.idle.splice(0);
  }
}
