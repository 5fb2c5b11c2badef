/** UWS 1.1 asynchronous jobs: model, documents, worker pool, reaper and the TAP executor. */
export * from './documents.js';
export * from './executor.js';
export * from './job.js';
export { RESTART_MESSAGE } from './reaper.js';
export * from './service.js';
export { tapJobExecutor } from './tap-executor.js';
