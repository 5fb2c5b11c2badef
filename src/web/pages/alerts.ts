/**
 * `/alerts`: the recent multi-messenger alerts of hearc.alerts. `/alerts/<alert_id>`: one
 * alert (`revision=N` picks an older one): what it says, its revision history, its
 * localisation on the sky (50 % and 90 % credible regions, the error circle) and the
 * observations that looked there in a window around it (`before`, `after` in days,
 * from /coincidence), in a table and on the sky, the selection linked both ways.
 */
import {
  adqlString,
  fetchVotable,
  isoOfMjd,
  service,
  serviceUrl,
  session,
  tapRecords,
} from '../api.js';
import { createSkyView } from '../aladin.js';
import { formatSexagesimal } from '../coords.js';
import { dataTable, errorBox, fmt, h, finiteNumber } from '../dom.js';
import { navigate } from '../nav.js';
import { keepTableState, ResultsTable, type TableColumn, type TableState } from '../table.js';

type Row = Record<string, unknown>;
const num = finiteNumber;
const LIST_LIMIT = 2000;
const DEFAULT_DAYS = 1;

const alertPath = (id: string): string => `alerts/${encodeURIComponent(id)}`;

const MESSENGERS: Record<string, string> = {
  neutrino: 'Neutrino',
  'gravitational-wave': 'Gravitational wave',
  photon: 'Photon',
};
const messengerBadge = (m: unknown): HTMLElement =>
  h('span', { class: `badge messenger ${String(m ?? '')}` }, MESSENGERS[String(m)] ?? String(m));

/** Position and its uncertainty in a line: RA, Dec ± err90, or the 90 % area. */
function where(r: Row): string {
  const ra = num(r.ra);
  const dec = num(r.dec);
  const position =
    ra !== undefined && dec !== undefined ? `${ra.toFixed(3)}°, ${dec.toFixed(3)}°` : '–';
  const err = num(r.err90);
  const area = num(r.area90);
  if (err !== undefined) return `${position} ± ${err.toFixed(2)}° (90 %)`;
  if (area !== undefined) return `${position} · ${fmt(area, 3)} deg² (90 %)`;
  return position;
}

const COLUMNS = `alert_id, revision, messenger, t_event, t_event_iso, ra, dec, err50, err68, err90, err99,
  area50, area90, source, author, format, ingested_at`;

export async function render(
  main: HTMLElement,
  params: URLSearchParams,
  rest: string[],
): Promise<void> {
  const s = await service();
  if (rest.length === 0) return renderList(main, s.shortName);
  if (rest.length !== 1) throw new Error('An alert page is /alerts/<alert_id>.');
  return renderAlert(main, params, rest[0]!, s.shortName);
}

async function renderList(main: HTMLElement, shortName: string): Promise<void> {
  document.title = `Alerts — ${shortName}`;
  const list = h(
    'section',
    { class: 'card', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  main.append(
    h('h1', {}, 'Multi-messenger alerts'),
    h(
      'p',
      { class: 'lead' },
      'Neutrino, gravitational-wave and gamma-ray alerts received by this archive, newest first. Open one to see its localisation and the observations that looked there.',
    ),
    list,
  );
  const rows = await tapRecords(
    `SELECT ${COLUMNS} FROM hearc.alerts ORDER BY t_event DESC, alert_id, revision DESC`,
    LIST_LIMIT,
  );
  // One line per alert: its latest revision, and how many there are.
  const latest = new Map<string, { row: Row; revisions: number }>();
  for (const row of rows) {
    const id = String(row.alert_id);
    const seen = latest.get(id);
    if (seen) seen.revisions++;
    else latest.set(id, { row, revisions: 1 });
  }
  if (latest.size === 0) {
    list.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        'No alert has been received yet (',
        h('code', {}, 'hearc alerts ingest'),
        ', or POST /alerts).',
      ),
    );
    return;
  }
  list.replaceChildren(
    h('h2', { id: 'alerts-count' }, `${latest.size} alert${latest.size === 1 ? '' : 's'}`),
    dataTable(
      ['Alert', 'Messenger', 'Event time (UTC)', 'Localisation', 'Revisions'],
      [...latest.values()].map(({ row, revisions }) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: alertPath(String(row.alert_id)) }, String(row.alert_id))),
          h('td', {}, messengerBadge(row.messenger)),
          h('td', {}, isoOfMjd(Number(row.t_event))),
          h('td', {}, where(row)),
          h('td', { class: 'num' }, String(revisions)),
        ),
      ),
    ),
  );
}

/** The search window (days before and after the event) from the URL. */
function windowOf(params: URLSearchParams): { before: number; after: number } {
  const days = (name: string): number => {
    const text = params.get(name)?.trim();
    if (!text) return DEFAULT_DAYS;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${name} '${text}' must be a number of days, 0 or more`);
    return value;
  };
  return { before: days('before'), after: days('after') };
}

async function renderAlert(
  main: HTMLElement,
  params: URLSearchParams,
  alertId: string,
  shortName: string,
): Promise<void> {
  document.title = `Alert ${alertId} — ${shortName}`;
  const revisions = await tapRecords(
    `SELECT ${COLUMNS} FROM hearc.alerts WHERE alert_id = ${adqlString(alertId)} ORDER BY revision DESC`,
  );
  const crumbs = h(
    'nav',
    { class: 'small', 'aria-label': 'Breadcrumb' },
    h('a', { href: 'alerts' }, 'Alerts'),
    ' › ',
    alertId,
  );
  if (revisions.length === 0) {
    main.append(
      crumbs,
      h('h1', {}, `Alert ${alertId}`),
      errorBox(`There is no alert '${alertId}' here.`),
    );
    return;
  }
  const asked = params.get('revision');
  const alert = asked === null ? revisions[0] : revisions.find((r) => String(r.revision) === asked);
  if (alert === undefined) {
    main.append(
      crumbs,
      h('h1', {}, `Alert ${alertId}`),
      errorBox(
        `Alert '${alertId}' has no revision ${asked} (it has ${revisions.map((r) => r.revision).join(', ')}).`,
      ),
    );
    return;
  }
  const revision = Number(alert.revision);
  const latest = revision === Number(revisions[0]!.revision);
  const results = h(
    'section',
    { class: 'card', 'aria-labelledby': 'coincident-title', 'aria-live': 'polite' },
    h('h2', { id: 'coincident-title' }, 'Observations during the alert'),
  );
  main.append(
    crumbs,
    h(
      'div',
      { class: 'obs-head' },
      h(
        'div',
        {},
        h('h1', {}, `Alert ${alertId}`),
        h(
          'p',
          { class: 'lead' },
          messengerBadge(alert.messenger),
          ' ',
          isoOfMjd(Number(alert.t_event)),
          ` · revision ${revision} of ${revisions.length}`,
          latest ? '' : ' (not the latest)',
        ),
      ),
    ),
    h('div', { class: 'grid-2' }, details(alert), revisionHistory(revisions, alertId, revision)),
    results,
  );
  try {
    const span = windowOf(params);
    results.append(windowForm(params, span));
    await coincidences(results, alert, span, latest ? undefined : revision, params);
  } catch (error) {
    results.append(errorBox(error instanceof Error ? error.message : String(error)));
  }
}

function details(a: Row): HTMLElement {
  const ra = num(a.ra);
  const dec = num(a.dec);
  const item = (term: string, value: Node | string | null) =>
    value === null ? null : [h('dt', {}, term), h('dd', {}, value)];
  const circles = ([50, 68, 90, 99] as const)
    .filter((p) => num(a[`err${p}`]) !== undefined)
    .map((p) => `${fmt(num(a[`err${p}`]), 3)}° (${p} %)`)
    .join(', ');
  const areas = ([50, 90] as const)
    .filter((p) => num(a[`area${p}`]) !== undefined)
    .map((p) => `${fmt(num(a[`area${p}`]), 4)} deg² (${p} %)`)
    .join(', ');
  const source = a.source === null ? null : String(a.source);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'alert-title' },
    h('h2', { id: 'alert-title' }, 'The alert'),
    h(
      'dl',
      { class: 'meta' },
      item('Messenger', MESSENGERS[String(a.messenger)] ?? String(a.messenger)),
      item(
        'Event time (UTC)',
        `${String(a.t_event_iso ?? isoOfMjd(Number(a.t_event)))} · MJD ${fmt(num(a.t_event), 6)}`,
      ),
      item(
        'Position (ICRS)',
        ra !== undefined && dec !== undefined
          ? `RA ${ra.toFixed(4)}°, Dec ${dec.toFixed(4)}° (${formatSexagesimal({ ra, dec })})`
          : 'not given',
      ),
      item('Error circles', circles || null),
      item('Credible regions', areas || null),
      item(
        'Source',
        source === null
          ? null
          : /^https?:\/\//.test(source)
            ? h('a', { href: source, rel: 'external noreferrer' }, source)
            : h('code', {}, source),
      ),
      item('Author', a.author === null ? null : h('code', {}, String(a.author))),
      item('Format', String(a.format)),
      item('Received', String(a.ingested_at ?? '–')),
    ),
  );
}

function revisionHistory(revisions: Row[], alertId: string, shown: number): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'Revisions'),
    dataTable(
      ['Revision', 'Received', 'Localisation'],
      revisions.map((r) => {
        const n = Number(r.revision);
        return h(
          'tr',
          { class: n === shown ? 'selected' : undefined },
          h(
            'td',
            {},
            n === shown
              ? h('strong', { 'aria-current': 'page' }, String(n))
              : h('a', { href: `${alertPath(alertId)}?revision=${n}` }, String(n)),
          ),
          h(
            'td',
            {},
            String(r.ingested_at ?? '–')
              .replace('T', ' ')
              .replace(/:\d\d(\.\d+)?Z?$/, ''),
          ),
          h('td', {}, where(r)),
        );
      }),
    ),
  );
}

function windowForm(params: URLSearchParams, span: { before: number; after: number }): HTMLElement {
  const input = (name: 'before' | 'after', label: string) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: `w-${name}` }, label),
      h('input', {
        id: `w-${name}`,
        name,
        inputmode: 'decimal',
        value: params.get(name) ?? String(span[name]),
        autocomplete: 'off',
      }),
    );
  const form = h(
    'form',
    { class: 'toolbar window', 'aria-label': 'Search window' },
    input('before', 'Days before'),
    input('after', 'Days after'),
    h('button', { type: 'submit', class: 'btn primary' }, 'Search again'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    for (const name of ['before', 'after']) {
      const value = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
      if (value) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    url.searchParams.delete('sort');
    url.searchParams.delete('order');
    url.searchParams.delete('page');
    navigate(url.href);
  });
  return form;
}

interface Coincident {
  did: string;
  obs_id: string;
  prob: number;
  dt: number;
  livetime: number;
  collection: string | null;
  target: string | null;
  s_ra: number | null;
  s_dec: number | null;
  s_fov: number | null;
}

const idOf = (c: Coincident): string => c.did;
const numeric = (text: string | null | undefined): number =>
  text === null || text === undefined ? Number.NaN : Number(text);

function dtText(days: number): string {
  if (days === 0) return 'during';
  const hours = Math.abs(days) * 24;
  const span = hours < 48 ? `${fmt(hours, 1)} h` : `${fmt(Math.abs(days), 1)} d`;
  return days < 0 ? `${span} before` : `${span} after`;
}

const COINCIDENT_COLUMNS: TableColumn<Coincident>[] = [
  {
    key: 'obs_id',
    label: 'Observation',
    value: (c) => c.obs_id,
    cell: (c) =>
      c.collection === null
        ? c.obs_id
        : h(
            'a',
            { href: `obs/${encodeURIComponent(c.collection)}/${encodeURIComponent(c.obs_id)}` },
            c.obs_id,
          ),
  },
  { key: 'target', label: 'Target', value: (c) => c.target },
  {
    key: 'prob',
    label: 'Probability',
    numeric: true,
    value: (c) => c.prob,
    cell: (c) => `${fmt(c.prob * 100, 1)} %`,
  },
  {
    key: 'dt',
    label: 'Offset',
    numeric: true,
    value: (c) => c.dt,
    cell: (c) => dtText(c.dt),
  },
  {
    key: 'livetime',
    label: 'Livetime',
    numeric: true,
    value: (c) => c.livetime,
    cell: (c) => `${fmt(c.livetime / 60, 1)} min`,
  },
  {
    key: 'datalink',
    label: 'Data',
    value: () => null,
    cell: (c) =>
      h(
        'a',
        { href: `${serviceUrl('datalink')}?ID=${encodeURIComponent(c.did)}`, class: 'small' },
        'DataLink',
      ),
  },
];

async function coincidences(
  section: HTMLElement,
  alert: Row,
  span: { before: number; after: number },
  revision: number | undefined,
  params: URLSearchParams,
): Promise<void> {
  const alertId = String(alert.alert_id);
  const query = new URLSearchParams({
    ALERT: alertId,
    BEFORE: String(span.before),
    AFTER: String(span.after),
    RESPONSEFORMAT: 'votable/td',
  });
  if (revision !== undefined) query.set('REVISION', String(revision));
  const url = `${serviceUrl('coincidence')}?${query}`;
  const status = h('p', { class: 'muted' }, 'Searching…');
  section.append(status);
  const answer = await fetchVotable(url, 'Coincidence');
  const hidden = Number(answer.infos.hidden_observations ?? 0);
  const found: Coincident[] = answer.records.map((r) => ({
    did: r.obs_publisher_did ?? '',
    obs_id: r.obs_id ?? '',
    prob: numeric(r.prob),
    dt: numeric(r.dt),
    livetime: numeric(r.livetime),
    collection: null,
    target: null,
    s_ra: null,
    s_dec: null,
    s_fov: null,
  }));
  if (found.length > 0) {
    // Where each run pointed (the caller reads the same rows through TAP as /coincidence shows).
    const rows = await tapRecords(
      `SELECT obs_publisher_did, obs_collection, target_name, s_ra, s_dec, s_fov FROM ivoa.obscore
WHERE obs_publisher_did IN (${found.map((c) => adqlString(c.did)).join(', ')})`,
    );
    const byDid = new Map(rows.map((r) => [String(r.obs_publisher_did), r]));
    for (const c of found) {
      const r = byDid.get(c.did);
      if (!r) continue;
      c.collection = r.obs_collection === null ? null : String(r.obs_collection);
      c.target = r.target_name === null ? null : String(r.target_name);
      c.s_ra = num(r.s_ra) ?? null;
      c.s_dec = num(r.s_dec) ?? null;
      c.s_fov = num(r.s_fov) ?? null;
    }
  }
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const summary = h(
    'p',
    { id: 'coincident-count' },
    `${plural(found.length, 'observation')} within ${fmt(span.before)} d before and ${fmt(span.after)} d after the event`,
    found.length > 0
      ? ', ranked by the probability of the localisation inside the field of view.'
      : '.',
  );
  const hiddenNote =
    hidden > 0
      ? h(
          'p',
          { class: 'note hidden-runs', role: 'status' },
          `${plural(hidden, 'more observation')} looked there but ${hidden === 1 ? 'is' : 'are'} not shown: ${hidden === 1 ? 'its' : 'their'} data are not open to you.`,
          session.token()
            ? ''
            : [
                ' ',
                h(
                  'a',
                  {
                    href: `login?next=${encodeURIComponent(location.pathname.slice(new URL(document.baseURI).pathname.length) + location.search)}`,
                  },
                  'Sign in',
                ),
                ' to see those of your groups.',
              ],
        )
      : null;
  status.replaceWith(summary);
  if (hiddenNote) summary.after(hiddenNote);

  const ra = num(alert.ra);
  const dec = num(alert.dec);
  const err90 = num(alert.err90);
  const area90 = num(alert.area90);
  const moc = (level: 50 | 90) =>
    `${alertPath(alertId)}/moc${level}.fits${revision !== undefined ? `?REVISION=${revision}` : ''}`;
  const mocs =
    area90 !== undefined
      ? [
          { url: moc(90), name: '90 % credible region', color: '#ff9f43', opacity: 0.18 },
          { url: moc(50), name: '50 % credible region', color: '#ff5d73', opacity: 0.3 },
        ]
      : [];
  const fov = Math.min(
    360,
    Math.max(
      6,
      err90 !== undefined ? 5 * err90 : 0,
      area90 !== undefined ? 2.5 * Math.sqrt(area90) : 0,
      ...found.map((c) => (c.s_fov ?? 5) * 2),
    ),
  );
  // The table, once made, follows selections on the sky.
  const linked: { table?: ResultsTable<Coincident> } = {};
  const withPosition = found.filter((c) => c.s_ra !== null && c.s_dec !== null);
  const sky = createSkyView({
    hips: 'hips/service',
    mocs,
    label: `Localisation of alert ${alertId} and the fields of view of the observations during it`,
    ...(ra !== undefined && dec !== undefined && err90 !== undefined
      ? { cone: { ra, dec, radius: err90 } }
      : {}),
    view: ra !== undefined && dec !== undefined ? { ra, dec, fov } : { ra: 0, dec: 0, fov: 360 },
    footprints: withPosition.map((c) => ({
      id: idOf(c),
      ra: c.s_ra!,
      dec: c.s_dec!,
      radius: Math.max(0.05, (c.s_fov ?? 5) / 2),
      label: `${c.target ?? ''} — observation ${c.obs_id}`,
    })),
    onSelect: (id) => linked.table?.select(id),
  });
  const caption = [
    'Counts of the public events.',
    area90 !== undefined ? 'Orange: the 90 % credible region, red: the 50 % one.' : '',
    err90 !== undefined ? 'Dashed: the 90 % error circle.' : '',
    found.length > 0 ? 'Circles: fields of view; select one to find it in the table.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const figure = h(
    'figure',
    { class: 'sky-figure', style: 'margin:0' },
    sky.element,
    h('figcaption', { class: 'small muted' }, caption),
  );
  if (found.length === 0) {
    section.append(
      h(
        'div',
        { class: 'results-grid' },
        figure,
        h(
          'p',
          { class: 'muted' },
          'No observation you may see overlaps the localisation in this window. Widen the window to look further.',
        ),
      ),
    );
    return;
  }
  const state: TableState = {
    sort: params.get('sort') ?? 'prob',
    descending: params.has('sort') ? params.get('order') === 'desc' : true,
    page: Number(params.get('page') ?? '1') || 1,
  };
  const table = new ResultsTable({
    columns: COINCIDENT_COLUMNS,
    rows: found,
    id: idOf,
    pageSize: 25,
    state,
    caption: `Observations during alert ${alertId}`,
    onState: keepTableState,
    onSelect: (id) => sky.select(id),
  });
  linked.table = table;
  section.append(h('div', { class: 'results-grid' }, figure, table.element));
}
