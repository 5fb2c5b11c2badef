/** Rows of an ADQL query as a client sees them: through the server's TAP sync endpoint (JSON). */
export async function tapRows(address: string, query: string): Promise<Record<string, unknown>[]> {
  const params = new URLSearchParams({ LANG: 'ADQL', RESPONSEFORMAT: 'json', QUERY: query });
  const response = await fetch(`${address}/tap/sync`, { method: 'POST', body: params });
  if (response.status !== 200) throw new Error(`TAP ${response.status}: ${await response.text()}`);
  const { metadata, data } = (await response.json()) as {
    metadata: { name: string }[];
    data: unknown[][];
  };
  return data.map((row) => Object.fromEntries(metadata.map((m, i) => [m.name, row[i]])));
}
