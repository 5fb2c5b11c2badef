/** `hearc token create|revoke|list`: hearc API tokens (the secret is printed once, stored hashed). */
import { ApiTokenStore, checkGroupName } from '../auth/index.js';
import { openEngine } from '../engine/index.js';
import { catalogTables } from '../ingest/catalog.js';
import { type Command, UsageError } from './command.js';
import { parseCommandArgs, stringOption } from './options.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'create, revoke or list hearc API tokens (user and groups)',
  usage: `usage: hearc token create --user USER [--groups G1,G2] --db CATALOG
       hearc token revoke TOKEN_ID --db CATALOG
       hearc token list --db CATALOG

'create' prints the token once (send it as 'Authorization: Bearer <token>'); only a
digest is stored. A running 'hearc serve' sees new and revoked tokens at once, but a
DuckDB catalog has one writer: stop the server first, or use PostgreSQL.
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      db: { type: 'string' },
      user: { type: 'string' },
      groups: { type: 'string' },
    });
    const [action, ...rest] = positionals;
    const db = stringOption(values, 'db');
    if (!db) throw new UsageError('--db is required');
    if (action === 'create') {
      const user = stringOption(values, 'user');
      if (!user || rest.length > 0) throw new UsageError('give --user (and no other arguments)');
      const groups = (stringOption(values, 'groups') ?? '').split(',').filter((g) => g !== '');
      try {
        groups.forEach(checkGroupName);
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
      return withTokens(db, async (tokens) => {
        const created = await tokens.create(user, groups);
        io.stdout(`${created.token}\n`);
        io.stderr(
          `token ${created.id} for ${user} (groups: ${groups.join(',') || 'none'}); it is not shown again\n`,
        );
        return 0;
      });
    }
    if (action === 'revoke') {
      const [id, ...extra] = rest;
      if (!id || extra.length > 0) throw new UsageError('give exactly one token id');
      return withTokens(db, async (tokens) => {
        if (await tokens.revoke(id)) {
          io.stdout(`revoked ${id}\n`);
          return 0;
        }
        io.stderr(`error: there is no token ${id}\n`);
        return 1;
      });
    }
    if (action === 'list') {
      return withTokens(db, async (tokens) => {
        const lines = ['id\tuser\tgroups\tcreated\trevoked'];
        for (const t of await tokens.list()) {
          lines.push(
            [
              t.id,
              t.user,
              t.groups.join(','),
              t.createdAt.toISOString(),
              t.revokedAt?.toISOString() ?? '-',
            ].join('\t'),
          );
        }
        io.stdout(`${lines.join('\n')}\n`);
        return 0;
      });
    }
    throw new UsageError("give 'create', 'revoke' or 'list'");
  },
};

async function withTokens(
  db: string,
  work: (tokens: ApiTokenStore) => Promise<number>,
): Promise<number> {
  const engine = await openEngine(db);
  try {
    await engine.ensureTables(catalogTables);
    return await work(new ApiTokenStore(engine));
  } finally {
    await engine.close();
  }
}
