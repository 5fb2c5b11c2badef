/** UWS 1.1 asynchronous jobs for any capability: model, documents, worker pool, reaper; protocols register executors. */
export * from './documents.js';
export * from './executor.js';
export * from './job.js';
export { RESTART_MESSAGE } from './reaper.js';
export { extraResultPath } from './results.js';
export * from './service.js';
