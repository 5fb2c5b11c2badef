/**
 * A fixed set of database connections handed out one query or transaction at a time.
 * Waiting for a connection can be abandoned through an AbortSignal (query timeouts)
 * or bounded in time (then EngineBusyError, so callers can answer "busy, retry").
 */
import { EngineBusyError, EngineError, type EngineUsage } from './types.js';

interface Waiter<C> {
  resolve(connection: C): void;
  reject(error: Error): void;
}

export class ConnectionPool<C> {
  private readonly idle: C[] = [];
  private readonly waiting: Waiter<C>[] = [];
  private readonly size: number;
  private closed = false;

  constructor(connections: readonly C[]) {
    this.idle.push(...connections);
    this.size = connections.length;
  }

  usage(): EngineUsage {
    return {
      connections: this.size,
      busy: this.size - this.idle.length,
      waiting: this.waiting.length,
    };
  }

  acquire(signal?: AbortSignal, waitMs?: number): Promise<C> {
    if (this.closed) return Promise.reject(new EngineError('the catalog engine is closed'));
    const ready = this.idle.pop();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<C>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (): void => {
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
      };
      const waiter: Waiter<C> = {
        resolve: (c) => {
          leave();
          resolve(c);
        },
        reject: (e) => {
          leave();
          reject(e);
        },
      };
      const onAbort = (): void =>
        waiter.reject(new EngineError('gave up waiting for a free catalog connection'));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (waitMs !== undefined) {
        timer = setTimeout(() => {
          leave();
          reject(new EngineBusyError(this.usage(), waitMs));
        }, waitMs);
      }
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
