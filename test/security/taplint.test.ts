/**
 * STILTS taplint as a member of the owning group: a proxy adds the member's hearc API
 * token to every request (taplint sends no credentials itself), the server's public
 * address is the proxy's, and the report must have no errors, as for anonymous use.
 */
import assert from 'node:assert/strict';
import { createServer, request as forward } from 'node:http';
import { test } from 'node:test';
import { assertTaplintClean, requireTaplint } from '../tap/taplint-report.js';
import { freePort } from '../helpers/net.js';
import { securedStore, tap } from './fixtures.js';

/** Listens on `port` and forwards every request to `target` with `headers` added. */
async function addingProxy(
  port: number,
  target: string,
  headers: Record<string, string>,
): Promise<() => Promise<void>> {
  const upstream = new URL(target);
  const proxy = createServer((incoming, outgoing) => {
    const sent = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host, ...headers },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    sent.on('error', () => outgoing.destroy());
    incoming.pipe(sent);
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return () => new Promise<void>((resolve) => proxy.close(() => resolve()));
}

test('taplint with a member API token reports no errors', { timeout: 900_000 }, async (t) => {
  if (!requireTaplint(t)) return;
  const port = await freePort();
  const publicAddress = `http://127.0.0.1:${port}`;
  const store = await securedStore(t, { baseUrl: publicAddress });
  const member = store.callers['right group (API token)']!;
  const close = await addingProxy(port, store.address, member);
  t.after(close);

  // Through the proxy the caller is the member: the proprietary rows are there.
  const rows = await tap(publicAddress, {}, 'SELECT obs_publisher_did FROM hearc.irf');
  assert.equal(rows.status, 200, rows.text);
  assert.ok(rows.text.includes(store.closedDid), rows.text);

  await assertTaplintClean(t, `${publicAddress}/tap`);
});
