/**
 * `/search`: observations by position (`pos=RA,DEC&radius=R`, sexagesimal or Galactic
 * with `frame=galactic`), by name (`target=NAME`, resolved offline), time, energy,
 * collection, messenger and data rights; a sky view and a sortable, paged table, the
 * selection linked between them. Everything the page shows follows from its URL.
 */
import {
  adqlString,
  dateOfMjd,
  mjdOf,
  service,
  tap,
  tapRecords,
  tevOfWavelength,
  wavelengthOfTev,
} from '../api.js';
import {
  formatSexagesimal,
  type Frame,
  galacticOf,
  parsePosition,
  type SkyPosition,
} from '../coords.js';
import { errorBox, fmt, h } from '../dom.js';
import { navigate } from '../nav.js';
import { resolveName } from '../resolve.js';
import { createSkyView } from '../aladin.js';
import { keepTableState, ResultsTable, type TableColumn, type TableState } from '../table.js';
import { mapDatasetPanel } from './map-job.js';

const ROW_LIMIT = 10_000;
const PAGE_SIZE = 25;
const DEFAULT_RADIUS = 2.5;

interface Observation {
  obs_collection: string;
  obs_id: string;
  target_name: string | null;
  s_ra: number | null;
  s_dec: number | null;
  s_fov: number | null;
  t_min: number | null;
  t_exptime: number | null;
  em_min: number | null;
  em_max: number | null;
  zen_pnt: number | null;
  data_rights: string | null;
  messenger_name: string | null;
}

const FIELDS = [
  'target',
  'pos',
  'frame',
  'radius',
  'tmin',
  'tmax',
  'emin',
  'emax',
  'collection',
  'messenger',
  'rights',
] as const;

const obsPath = (o: Observation) =>
  `obs/${encodeURIComponent(o.obs_collection)}/${encodeURIComponent(o.obs_id)}`;
const idOf = (o: Observation) => `${o.obs_collection}/${o.obs_id}`;

const COLUMNS: TableColumn<Observation>[] = [
  {
    key: 'obs_id',
    label: 'Observation',
    value: (o) => o.obs_id,
    cell: (o) => h('a', { href: obsPath(o) }, o.obs_id),
  },
  { key: 'target', label: 'Target', value: (o) => o.target_name },
  {
    key: 'date',
    label: 'Date (UTC)',
    value: (o) => o.t_min,
    cell: (o) => (o.t_min === null ? '–' : dateOfMjd(o.t_min)),
  },
  {
    key: 'livetime',
    label: 'Exposure',
    numeric: true,
    value: (o) => o.t_exptime,
    cell: (o) => (o.t_exptime === null ? '–' : `${fmt(o.t_exptime / 60, 1)} min`),
  },
  {
    key: 'energy',
    label: 'Energy (TeV)',
    value: (o) => (o.em_max === null ? null : tevOfWavelength(o.em_max)),
    cell: (o) =>
      o.em_min === null || o.em_max === null
        ? '–'
        : `${fmt(tevOfWavelength(o.em_max), 2)} – ${fmt(tevOfWavelength(o.em_min), 1)}`,
  },
  {
    key: 'zenith',
    label: 'Zenith',
    numeric: true,
    value: (o) => o.zen_pnt,
    cell: (o) => (o.zen_pnt === null ? '–' : `${o.zen_pnt.toFixed(1)}°`),
  },
  {
    key: 'rights',
    label: 'Rights',
    value: (o) => o.data_rights,
    cell: (o) => h('span', { class: `badge ${o.data_rights ?? ''}` }, o.data_rights ?? '–'),
  },
  { key: 'collection', label: 'Collection', value: (o) => o.obs_collection },
];

interface Criteria {
  readonly cone?: SkyPosition & { radius: number };
  readonly where: string[];
  readonly described: string[];
}

const number = (text: string, what: string): number => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new Error(`${what} '${text}' is not a number`);
  return value;
};

async function criteriaOf(params: URLSearchParams, resolvedNote: HTMLElement): Promise<Criteria> {
  const where: string[] = [];
  const described: string[] = [];
  let cone: Criteria['cone'];
  const get = (name: string) => params.get(name)?.trim() || undefined;
  const radiusText = get('radius');
  const radius = radiusText === undefined ? DEFAULT_RADIUS : number(radiusText, 'radius');
  if (radius <= 0 || radius > 180)
    throw new Error(`radius ${radius} must be between 0 and 180 degrees`);
  const target = get('target');
  const pos = get('pos');
  if (target && !pos) {
    const resolved = await resolveName(target);
    cone = { ra: resolved.ra, dec: resolved.dec, radius };
    resolvedNote.replaceChildren(
      h('strong', {}, resolved.name),
      ` at RA ${resolved.ra.toFixed(4)}°, Dec ${resolved.dec.toFixed(4)}° (${formatSexagesimal(resolved)}) — position from ${resolved.source}.`,
    );
    resolvedNote.hidden = false;
  } else if (pos) {
    const frame = (get('frame') ?? 'icrs') as Frame;
    if (frame !== 'icrs' && frame !== 'galactic')
      throw new Error(`frame '${frame}' is neither icrs nor galactic`);
    const p = parsePosition(pos, frame);
    cone = { ...p, radius };
    const g = galacticOf(p);
    resolvedNote.replaceChildren(
      `Cone of ${radius}° around RA ${p.ra.toFixed(4)}°, Dec ${p.dec.toFixed(4)}° (${formatSexagesimal(p)}; l ${g.l.toFixed(3)}°, b ${g.b.toFixed(3)}°).`,
    );
    resolvedNote.hidden = false;
  }
  if (cone) {
    where.push(
      `1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), CIRCLE('ICRS', ${cone.ra}, ${cone.dec}, ${cone.radius}))`,
    );
    described.push(`within ${cone.radius}°`);
  }
  const tmin = get('tmin');
  const tmax = get('tmax');
  if (tmin) where.push(`o.t_max >= ${mjdOf(tmin)}`);
  if (tmax) where.push(`o.t_min <= ${mjdOf(tmax)}`);
  const emin = get('emin');
  const emax = get('emax');
  // Overlap with [emin, emax] TeV; wavelengths run the other way.
  if (emin) {
    const e = number(emin, 'lowest energy');
    if (e <= 0) throw new Error('energies are positive (TeV)');
    where.push(`o.em_min <= ${wavelengthOfTev(e)}`);
  }
  if (emax) {
    const e = number(emax, 'highest energy');
    if (e <= 0) throw new Error('energies are positive (TeV)');
    where.push(`o.em_max >= ${wavelengthOfTev(e)}`);
  }
  const collection = get('collection');
  if (collection) where.push(`o.obs_collection = ${adqlString(collection)}`);
  const messenger = get('messenger');
  if (messenger) where.push(`h.messenger_name = ${adqlString(messenger)}`);
  const rights = get('rights');
  if (rights) where.push(`o.data_rights = ${adqlString(rights)}`);
  return { ...(cone ? { cone } : {}), where, described };
}

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: input.id }, label, hint ? h('span', { class: 'hint' }, ` ${hint}`) : null),
    input,
  );
}

function filtersForm(params: URLSearchParams, collections: string[]): HTMLFormElement {
  const value = (name: string) => params.get(name) ?? '';
  const input = (name: string, placeholder = '', extra: Record<string, string> = {}) =>
    h('input', {
      id: `f-${name}`,
      name,
      value: value(name),
      placeholder,
      autocomplete: 'off',
      ...extra,
    });
  const select = (name: string, options: [string, string][]) => {
    const s = h(
      'select',
      { id: `f-${name}`, name },
      options.map(([v, label]) => h('option', { value: v }, label)),
    );
    s.value = value(name) || (options[0]?.[0] ?? '');
    return s;
  };
  const form = h(
    'form',
    { class: 'filters card', role: 'search', 'aria-label': 'Search observations' },
    field('Object name', input('target', 'Crab, PKS 2155-304, …')),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Position ', h('span', { class: 'hint' }, 'RA, Dec or l, b')),
      h('label', { for: 'f-pos', class: 'visually-hidden' }, 'Position'),
      input('pos', '83.633, 22.014 or 05 34 31.9 +22 00 52'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Frame and radius ', h('span', { class: 'hint' }, 'degrees')),
      h(
        'div',
        { class: 'pair' },
        h('label', { for: 'f-frame', class: 'visually-hidden' }, 'Frame'),
        select('frame', [
          ['icrs', 'ICRS'],
          ['galactic', 'Galactic'],
        ]),
        h('label', { for: 'f-radius', class: 'visually-hidden' }, 'Radius (degrees)'),
        input('radius', `${DEFAULT_RADIUS}`, { inputmode: 'decimal' }),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Time ', h('span', { class: 'hint' }, 'ISO date or MJD')),
      h(
        'div',
        { class: 'pair' },
        h('label', { for: 'f-tmin', class: 'visually-hidden' }, 'From'),
        input('tmin', 'from'),
        h('label', { for: 'f-tmax', class: 'visually-hidden' }, 'To'),
        input('tmax', 'to'),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Energy ', h('span', { class: 'hint' }, 'TeV')),
      h(
        'div',
        { class: 'pair' },
        h('label', { for: 'f-emin', class: 'visually-hidden' }, 'Lowest energy (TeV)'),
        input('emin', 'from', { inputmode: 'decimal' }),
        h('label', { for: 'f-emax', class: 'visually-hidden' }, 'Highest energy (TeV)'),
        input('emax', 'to', { inputmode: 'decimal' }),
      ),
    ),
    field(
      'Collection',
      select('collection', [
        ['', 'All collections'],
        ...collections.map((c): [string, string] => [c, c]),
      ]),
    ),
    h(
      'div',
      { class: 'pair' },
      field(
        'Messenger',
        select('messenger', [
          ['', 'Any'],
          ['photon', 'Photon'],
          ['neutrino', 'Neutrino'],
        ]),
      ),
      field(
        'Data rights',
        select('rights', [
          ['', 'Any'],
          ['public', 'Public'],
          ['proprietary', 'Proprietary'],
          ['secure', 'Secure'],
        ]),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary' }, 'Search'),
      h('a', { class: 'btn', href: 'search' }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const name of FIELDS) {
      const v = data.get(name)?.toString().trim();
      if (v && !(name === 'frame' && v === 'icrs')) next.set(name, v);
    }
    // A position typed wins over a name left in the form.
    if (next.has('pos') && next.has('target') && next.get('pos') !== params.get('pos'))
      next.delete('target');
    navigate(`search${next.size ? `?${next}` : ''}`);
  });
  return form;
}

/** The search of `criteria`: its FROM clause (joins and WHERE) and the whole query. */
function searchQuery(criteria: Criteria): { from: string; query: string } {
  const from = `FROM ivoa.obscore AS o LEFT OUTER JOIN ivoa.obscore_hea AS h ON h.obs_publisher_did = o.obs_publisher_did${
    criteria.where.length ? `\nWHERE ${criteria.where.join('\n  AND ')}` : ''
  }`;
  const query = `SELECT o.obs_collection, o.obs_id, o.target_name, o.s_ra, o.s_dec, o.s_fov, o.t_min, o.t_exptime,
  o.em_min, o.em_max, o.zen_pnt, o.data_rights, h.messenger_name
${from}\nORDER BY o.t_min`;
  return { from, query };
}

export async function render(main: HTMLElement, params: URLSearchParams): Promise<void> {
  // The form's collections, the criteria (a name may need resolving) and the search itself
  // go out together: one after another they were most of the wait on a large archive.
  const published = tapRecords('SELECT DISTINCT obs_collection FROM ivoa.obscore').catch(() => []);
  const note = h('p', { class: 'note resolved', hidden: true, role: 'status' });
  const searched = criteriaOf(params, note).then((criteria) => {
    const { from, query } = searchQuery(criteria);
    const answer = tap(query, ROW_LIMIT);
    // Awaited below; until then a failure must not count as unhandled.
    answer.catch(() => undefined);
    return { criteria, from, query, answer };
  });
  searched.catch(() => undefined);
  const s = await service();
  document.title = `Search — ${s.shortName}`;
  const collections = [
    ...new Set([
      ...s.collections.map((c) => c.name),
      ...(await published).map((r) => String(r.obs_collection)),
    ]),
  ].sort();
  const results = h(
    'section',
    { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Searching…'),
  );
  main.append(
    h('h1', {}, 'Search observations'),
    h(
      'div',
      { class: 'search-layout' },
      filtersForm(params, collections),
      h('div', {}, note, results),
    ),
  );
  let search: Awaited<typeof searched>;
  try {
    search = await searched;
  } catch (error) {
    results.replaceChildren(errorBox(error instanceof Error ? error.message : String(error)));
    results.setAttribute('aria-busy', 'false');
    return;
  }
  const { criteria, from, query } = search;
  try {
    const { columns, rows, overflow } = await search.answer;
    const observations = rows.map(
      (r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])) as unknown as Observation,
    );
    showResults(results, observations, overflow, criteria, params, query);
    if (observations.length > 0 && !overflow) {
      // The same selection, as the map service reads it (its rows' DIDs are the runs).
      results.append(
        mapDatasetPanel(
          `SELECT o.obs_publisher_did\n${from}`,
          centreOf(criteria, observations),
          observations.length,
        ),
      );
    }
  } catch (error) {
    results.replaceChildren(errorBox(error instanceof Error ? error.message : String(error)));
  }
  results.setAttribute('aria-busy', 'false');
}

/** The search cone's centre, else the mean direction of the pointings: 'ra dec', deg. */
function centreOf(criteria: Criteria, observations: readonly Observation[]): string {
  const at = (p: SkyPosition) => `${p.ra.toFixed(4)} ${p.dec.toFixed(4)}`;
  if (criteria.cone) return at(criteria.cone);
  const rad = Math.PI / 180;
  let [x, y, z] = [0, 0, 0];
  for (const o of observations) {
    if (o.s_ra === null || o.s_dec === null) continue;
    x += Math.cos(o.s_dec * rad) * Math.cos(o.s_ra * rad);
    y += Math.cos(o.s_dec * rad) * Math.sin(o.s_ra * rad);
    z += Math.sin(o.s_dec * rad);
  }
  const ra = (((Math.atan2(y, x) / rad) % 360) + 360) % 360;
  return at({ ra, dec: Math.atan2(z, Math.hypot(x, y)) / rad });
}

function showResults(
  results: HTMLElement,
  observations: Observation[],
  overflow: boolean,
  criteria: Criteria,
  params: URLSearchParams,
  query: string,
): void {
  const state: TableState = {
    sort: params.get('sort') ?? 'date',
    descending: params.get('order') === 'desc',
    page: Number(params.get('page') ?? '1') || 1,
  };
  const plural = observations.length === 1 ? '' : 's';
  const head = h(
    'div',
    { class: 'results-head' },
    h(
      'h2',
      { id: 'results-count' },
      overflow
        ? `First ${observations.length} observations`
        : `${observations.length} observation${plural}`,
    ),
    h(
      'a',
      { href: `adql?query=${encodeURIComponent(query)}`, class: 'small' },
      'Open this search in the ADQL console',
    ),
  );
  if (observations.length === 0) {
    results.replaceChildren(
      head,
      h('p', { class: 'muted' }, 'No observation matches. Widen the radius or remove a filter.'),
    );
    return;
  }
  const withPosition = observations.filter((o) => o.s_ra !== null && o.s_dec !== null);
  const sky = createSkyView({
    hips: 'hips/service',
    moc: 'moc/service.fits',
    label: criteria.cone
      ? 'Search cone and fields of view of the observations found'
      : 'Fields of view of the observations found, Galactic coordinates',
    ...(criteria.cone ? { cone: criteria.cone } : {}),
    footprints: withPosition.map((o) => ({
      id: idOf(o),
      ra: o.s_ra!,
      dec: o.s_dec!,
      radius: Math.max(0.05, (o.s_fov ?? 5) / 2),
      label: `${o.target_name ?? ''} — observation ${o.obs_id}`,
    })),
    onSelect: (id) => table.select(id),
  });
  const several = new Set(observations.map((o) => o.obs_collection)).size > 1;
  const table: ResultsTable<Observation> = new ResultsTable({
    columns: several ? COLUMNS : COLUMNS.filter((c) => c.key !== 'collection'),
    rows: observations,
    id: idOf,
    pageSize: PAGE_SIZE,
    state,
    caption: 'Observations found',
    onState: keepTableState,
    onSelect: (id) => sky.select(id),
  });
  results.replaceChildren(
    head,
    overflow
      ? h('p', { class: 'note' }, `Only the first ${ROW_LIMIT} are listed: narrow the search.`)
      : '',
    h(
      'div',
      { class: 'results-grid' },
      h(
        'figure',
        { class: 'sky-figure', style: 'margin:0' },
        sky.element,
        h(
          'figcaption',
          { class: 'small muted' },
          criteria.cone
            ? 'Counts of the public events. Dashed: the search cone. Circles: fields of view; select one to find it in the table.'
            : 'Counts of the public events, Galactic coordinates. Circles: fields of view; select one to find it in the table.',
        ),
      ),
      table.element,
    ),
  );
}
