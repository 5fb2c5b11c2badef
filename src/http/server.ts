/**
 * The HTTP server: Fastify with one plugin per protocol. Routes only wire modules
 * together; the work happens in the modules.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Engine } from '../engine/types.js';
import type { PublishedSchema } from '../schema/types.js';
import { dataAccessPlugin } from './datalink.js';
import { vosiPlugin } from './vosi.js';

export interface ServerOptions {
  readonly engine: Engine;
  /** The tables served (published catalog + TAP_SCHEMA). */
  readonly schema: PublishedSchema;
  /** Public base URL (used in documents that link back to the service). */
  readonly baseUrl: string;
  /** pino logging: false to silence (tests), true for JSON logs. */
  readonly logger?: boolean;
  /** Folder of the DataLink product cache (default: in the OS temporary folder). */
  readonly productCacheDir?: string;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(vosiPlugin, {
    prefix: '/tap',
    engine: options.engine,
    schema: options.schema,
  });
  await app.register(dataAccessPlugin, {
    engine: options.engine,
    baseUrl: options.baseUrl,
    cacheDir: options.productCacheDir,
  });
  return app;
}
