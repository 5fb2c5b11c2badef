/** Reads the rows of a {links} VOTable (TABLEDATA) back, for tests. */
export interface LinkRecord {
  readonly ID: string | null;
  readonly access_url: string | null;
  readonly service_def: string | null;
  readonly error_message: string | null;
  readonly semantics: string | null;
  readonly description: string | null;
  readonly content_type: string | null;
  readonly content_length: number | null;
  readonly content_qualifier: string | null;
}

const unescape = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

export function parseLinks(document: string): LinkRecord[] {
  const names = [...document.matchAll(/<FIELD\b[^>]*?\bname="([^"]+)"/g)].map((m) => m[1]!);
  return [...document.matchAll(/<TR>(.*?)<\/TR>/gs)].map((tr) => {
    const cells = [...tr[1]!.matchAll(/<TD\/>|<TD>(.*?)<\/TD>/gs)].map((m) =>
      m[1] === undefined ? null : unescape(m[1]),
    );
    const record: Record<string, string | number | null> = {};
    names.forEach((name, i) => {
      const value = cells[i] ?? null;
      record[name] = name === 'content_length' && value !== null ? Number(value) : value;
    });
    return record as unknown as LinkRecord;
  });
}

/** The links of these IDs from the server at `address` (GET). */
export async function fetchLinks(address: string, ...ids: string[]): Promise<LinkRecord[]> {
  const query = ids.map((id) => `ID=${encodeURIComponent(id)}`).join('&');
  const response = await fetch(`${address}/datalink?${query}`);
  if (response.status !== 200) throw new Error(`{links} answered ${response.status}`);
  return parseLinks(await response.text());
}

/** The links other than the previews, which test/http/preview.test.ts covers. */
export function withoutPreviews(links: readonly LinkRecord[]): LinkRecord[] {
  return links.filter((l) => !l.access_url?.includes('/previews/'));
}
