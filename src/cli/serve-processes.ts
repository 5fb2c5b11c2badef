/**
 * `hearc serve --processes N` on a PostgreSQL catalog: this process, the primary, starts N
 * processes with node:cluster that all answer on one port (the primary hands each new
 * connection to the next one), so concurrent requests are encoded on every core. The
 * processes are the stateless nodes of a PostgreSQL deployment (async jobs are claimed
 * with FOR UPDATE SKIP LOCKED); the first one also does the deployment's start-up work
 * (TAP_SCHEMA, the rr tables, the counts HiPS), so the others start after it answers. A
 * process that ends unasked is started again after a growing delay; SIGINT/SIGTERM stop
 * them all as one `hearc serve` stops. A DuckDB file has one owner: no processes there.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type CommandIo, UsageError } from './command.js';

/** Tells a process which of the N it is: `<slot>/<N>`. */
const SLOT_VARIABLE = 'HEARC_SERVE_PROCESS';

/** Which of the N processes this one is; slot 1 does the start-up work. */
export interface ServeProcessRole {
  readonly slot: number;
  readonly of: number;
}

/** This process's role when the primary of `hearc serve --processes N` started it. */
export function serveProcessRole(): ServeProcessRole | undefined {
  if (!cluster.isWorker) return undefined;
  const [slot, of] = (process.env[SLOT_VARIABLE] ?? '').split('/').map(Number);
  return slot !== undefined && of !== undefined && slot >= 1 && of >= slot
    ? { slot, of }
    : undefined;
}

/** The number of processes asked for: 'auto' is one per CPU. */
export function processCount(asked: number | 'auto' | undefined): number {
  return asked === 'auto' ? availableParallelism() : (asked ?? 1);
}

/** Restarts of a process that ends unasked: the delay doubles with each end in the window. */
const RESTART = { firstDelayMs: 1000, maxDelayMs: 30_000, windowMs: 600_000, maxEnds: 5 };

interface Slot {
  readonly index: number;
  worker?: Worker;
  /** When its processes ended unasked, within RESTART.windowMs. */
  ends: number[];
  restart?: NodeJS.Timeout;
}

function urlOf(address: AddressInfo | { address: string; port: number }): string {
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** This module's worker entry (serve-worker) and the flags that run it (tsx from the sources). */
function workerEntry(): { exec: string; execArgv: string[] } {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const exec = fileURLToPath(new URL(`./serve-worker${ext}`, import.meta.url));
  const hasTsx = process.execArgv.some((arg) => arg.includes('tsx'));
  const execArgv =
    ext === '.ts' && !hasTsx
      ? [...process.execArgv, '--import', import.meta.resolve('tsx')]
      : process.execArgv;
  return { exec, execArgv };
}

export interface ServeProcessesOptions {
  /** The `hearc serve` arguments, given to each process as they were to this one. */
  readonly args: readonly string[];
  readonly processes: number;
  /** The line that tells where the service answers, from its address. */
  readonly serving: (address: string) => string;
  readonly io: CommandIo;
}

/**
 * Runs `processes` serve processes until SIGINT/SIGTERM (a second signal kills them);
 * resolves with the exit status: 0 after a clean stop, 1 when a process could not start
 * or none is left.
 */
export async function superviseServeProcesses(options: ServeProcessesOptions): Promise<number> {
  const { io, processes: n } = options;
  if (!cluster.isPrimary) {
    // e.g. pm2's cluster mode, which forks hearc itself.
    throw new UsageError(
      '--processes starts processes of its own: run hearc serve as a process of its own, not in a node:cluster worker',
    );
  }
  const say = (text: string): void => io.stderr(`hearc: ${text}\n`);
  cluster.setupPrimary({ ...workerEntry(), args: ['serve', ...options.args] });
  const slots: Slot[] = Array.from({ length: n }, (_, i) => ({ index: i + 1, ends: [] }));
  const name = (slot: Slot, worker: Worker): string =>
    `process ${worker.process.pid} (${slot.index} of ${n})`;
  let phase: 'starting' | 'serving' | 'stopping' = 'starting';
  let status = 0;
  let address: string | undefined;
  let finish: (status: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const stop = (exitStatus: number): void => {
    if (phase === 'stopping') {
      // Asked again: the processes are killed, not waited for.
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      return;
    }
    phase = 'stopping';
    status = exitStatus;
    for (const slot of slots) clearTimeout(slot.restart);
    const live = slots.filter((slot) => slot.worker !== undefined);
    if (live.length === 0) finish(status);
    // Each stops as a lone `hearc serve` does: answers what it is answering, hands its jobs back.
    for (const slot of live) slot.worker?.process.kill('SIGTERM');
  };
  const onSignal = (): void => {
    if (phase !== 'stopping') say('shutting down');
    stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** Starts the process of `slot`; resolves true once it listens, false if it ended first. */
  const start = (slot: Slot): Promise<boolean> =>
    new Promise((resolve) => {
      if (phase === 'stopping') return resolve(false);
      const worker = cluster.fork({ [SLOT_VARIABLE]: `${slot.index}/${n}` });
      slot.worker = worker;
      worker.once('listening', (at: AddressInfo) => {
        address ??= urlOf(at);
        if (phase === 'serving') say(`${name(slot, worker)} answers`);
        resolve(true);
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        resolve(false);
        slot.worker = undefined;
        ended(slot, worker, signal ? `signal ${signal}` : `status ${code ?? '?'}`, code === 0);
      });
    });

  const ended = (slot: Slot, worker: Worker, how: string, clean: boolean): void => {
    if (phase === 'stopping') {
      if (!clean) status = Math.max(status, 1);
      if (slots.every((s) => s.worker === undefined)) finish(status);
      return;
    }
    say(`${name(slot, worker)} ended (${how})`);
    if (phase === 'starting') return; // the start-up tells what happens next
    const now = Date.now();
    slot.ends = [...slot.ends.filter((t) => now - t < RESTART.windowMs), now];
    if (slot.ends.length > RESTART.maxEnds) {
      say(
        `process ${slot.index} of ${n} ended ${slot.ends.length} times in 10 minutes: not started again`,
      );
      if (slots.every((s) => s.worker === undefined && s.restart === undefined)) {
        say('no process is left to answer; stopping');
        stop(1);
      }
      return;
    }
    const delay = Math.min(RESTART.maxDelayMs, RESTART.firstDelayMs * 2 ** (slot.ends.length - 1));
    say(`starting process ${slot.index} of ${n} again in ${delay / 1000} s`);
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      void start(slot);
    }, delay);
  };

  // The first process writes what the others read (tables, TAP_SCHEMA), then the others start.
  const [first, ...others] = slots as [Slot, ...Slot[]];
  const started = (await start(first)) && (await Promise.all(others.map(start))).every(Boolean);
  if (phase === 'starting') {
    if (started && address !== undefined) {
      phase = 'serving';
      const pids = slots.map((slot) => slot.worker?.process.pid).join(', ');
      io.stderr(
        `hearc: ${options.serving(address)} with ${n} processes (pids ${pids}); Ctrl-C stops\n`,
      );
    } else {
      say('a process could not start (see above); stopping');
      stop(1);
    }
  }
  const code = await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
