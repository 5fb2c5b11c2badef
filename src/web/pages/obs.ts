/**
 * `/obs/<collection>/<obs_id>`: one observation: its metadata, previews, DataLink
 * links, a SODA cutout form and how to get it from Python.
 */
import {
  adqlString,
  datalink,
  type DataLinkRow,
  download,
  imageUrl,
  isoOfMjd,
  service,
  tapRecords,
  tevOfWavelength,
} from '../api.js';
import { formatSexagesimal, galacticOf } from '../coords.js';
import { copyButton, errorBox, fmt, h, finiteNumber } from '../dom.js';

type Row = Record<string, unknown>;
const num = finiteNumber;
const str = (v: unknown): string => (v === null || v === undefined ? '–' : String(v));

const CALIBRATION: Record<string, string> = {
  aeff: 'Effective area',
  edisp: 'Energy dispersion',
  psf: 'Point spread function',
  bkgrate: 'Background',
  rad_max: 'Direction cut (RAD_MAX)',
};

function bytes(n: number | null): string {
  if (n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function linkLabel(link: DataLinkRow): string {
  switch (link.semantics) {
    case '#this':
      return 'Event list';
    case '#calibration':
      return (
        CALIBRATION[link.content_qualifier ?? ''] ?? `Response (${link.content_qualifier ?? 'IRF'})`
      );
    case '#package':
      return 'Original file';
    case '#derivation':
      return 'Counts map (FITS)';
    default:
      return link.description ?? link.semantics;
  }
}

const fileNameOf = (url: string): string =>
  decodeURIComponent(new URL(url).pathname.split('/').slice(-3).join('-'));

export async function render(
  main: HTMLElement,
  _params: URLSearchParams,
  rest: string[],
): Promise<void> {
  const [collection, obsId] = rest;
  if (collection === undefined || obsId === undefined || rest.length !== 2) {
    throw new Error('An observation page is /obs/<collection>/<obs_id>.');
  }
  const s = await service();
  document.title = `Observation ${obsId} — ${s.shortName}`;
  const [o] = await tapRecords(
    `SELECT o.*, h.energy_min, h.energy_max, h.event_type, h.messenger_name, h.analysis_mode
FROM ivoa.obscore AS o LEFT OUTER JOIN ivoa.obscore_hea AS h ON h.obs_publisher_did = o.obs_publisher_did
WHERE o.obs_collection = ${adqlString(collection)} AND o.obs_id = ${adqlString(obsId)}`,
    1,
  );
  if (o === undefined) {
    main.append(
      h('h1', {}, `Observation ${obsId}`),
      errorBox(
        `There is no observation ${obsId} in collection ${collection}` +
          ' (or it is not public and you are not signed in with a token that may read it).',
      ),
      h('p', {}, h('a', { href: 'login' }, 'Sign in'), ' · ', h('a', { href: 'search' }, 'Search')),
    );
    return;
  }
  const did = String(o.obs_publisher_did);
  const collectionTitle = s.collections.find((c) => c.name === collection)?.title ?? collection;
  const linksPanel = h(
    'section',
    { class: 'card', 'aria-labelledby': 'data-title' },
    h('h2', { id: 'data-title' }, 'Data'),
    h('p', { class: 'muted' }, 'Loading links…'),
  );
  const previews = h(
    'section',
    { class: 'card', 'aria-labelledby': 'previews-title' },
    h('h2', { id: 'previews-title' }, 'Previews'),
  );
  const cutout = h(
    'section',
    { class: 'card', 'aria-labelledby': 'cutout-title' },
    h('h2', { id: 'cutout-title' }, 'Cutout (SODA)'),
  );
  const python = h(
    'section',
    { class: 'card', 'aria-labelledby': 'python-title' },
    h('h2', { id: 'python-title' }, 'Use in Python'),
  );
  main.append(
    h(
      'nav',
      { class: 'small', 'aria-label': 'Breadcrumb' },
      h('a', { href: `search?collection=${encodeURIComponent(collection)}` }, collectionTitle),
      ' › ',
      `Observation ${obsId}`,
    ),
    h(
      'div',
      { class: 'obs-head' },
      h(
        'div',
        {},
        h('h1', {}, `Observation ${obsId}`),
        h(
          'p',
          { class: 'lead' },
          str(o.target_name),
          ' · ',
          str(o.instrument_name),
          ' · ',
          o.t_min !== null ? isoOfMjd(o.t_min as number).slice(0, 10) : '',
          ' ',
          h('span', { class: `badge ${str(o.data_rights)}` }, str(o.data_rights)),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        num(o.s_ra) !== undefined
          ? h(
              'a',
              { class: 'btn', href: `search?pos=${fmt(o.s_ra, 4)},${fmt(o.s_dec, 4)}&radius=3` },
              'Observations nearby',
            )
          : null,
      ),
    ),
    h('div', { class: 'grid-2' }, metadata(o), linksPanel),
    previews,
    cutout,
    python,
  );
  try {
    const { rows, services } = await datalink(did);
    showLinks(linksPanel, rows);
    await showPreviews(previews, rows);
    const soda = services.find((d) => d.standardId.startsWith('ivo://ivoa.net/std/SODA#sync'));
    if (soda) cutoutForm(cutout, did, soda);
    else
      cutout.append(
        h('p', { class: 'muted' }, 'No cutout service is offered for this observation.'),
      );
    pythonSnippets(python, s.urls.tap, did, rows);
  } catch (error) {
    linksPanel.append(errorBox(error instanceof Error ? error.message : String(error)));
  }
}

function metadata(o: Row): HTMLElement {
  const ra = num(o.s_ra);
  const dec = num(o.s_dec);
  const items: [string, Node | string][] = [
    [
      'Target',
      `${str(o.target_name)}${o.object && o.object !== o.target_name ? ` (${String(o.object)} in the file)` : ''}`,
    ],
    ['Collection', str(o.obs_collection)],
    ['Facility, instrument', `${str(o.facility_name)}, ${str(o.instrument_name)}`],
    ['Identifier', h('code', {}, str(o.obs_publisher_did))],
  ];
  if (ra !== undefined && dec !== undefined) {
    const g = galacticOf({ ra, dec });
    items.push([
      'Pointing',
      `RA ${ra.toFixed(4)}°, Dec ${dec.toFixed(4)}° (${formatSexagesimal({ ra, dec })}); l ${g.l.toFixed(3)}°, b ${g.b.toFixed(3)}°`,
    ]);
  }
  if (num(o.zen_pnt) !== undefined)
    items.push(['Zenith angle', `${(o.zen_pnt as number).toFixed(1)}°`]);
  if (num(o.t_min) !== undefined)
    items.push(['Start (UTC)', `${isoOfMjd(o.t_min as number)} (MJD ${fmt(o.t_min, 5)})`]);
  if (num(o.t_max) !== undefined)
    items.push(['End (UTC)', `${isoOfMjd(o.t_max as number)} (MJD ${fmt(o.t_max, 5)})`]);
  if (num(o.t_exptime) !== undefined)
    items.push(['Exposure (livetime)', `${fmt((o.t_exptime as number) / 60, 1)} min`]);
  if (num(o.em_min) !== undefined && num(o.em_max) !== undefined)
    items.push([
      'Energy range',
      `${fmt(tevOfWavelength(o.em_max as number), 3)} – ${fmt(tevOfWavelength(o.em_min as number), 3)} TeV`,
    ]);
  if (num(o.event_count) !== undefined)
    items.push(['Events', (o.event_count as number).toLocaleString('en')]);
  if (o.obs_mode) items.push(['Observation mode', str(o.obs_mode)]);
  if (o.messenger_name) items.push(['Messenger', str(o.messenger_name)]);
  items.push([
    'Data rights',
    `${str(o.data_rights)}${o.obs_release_date ? `, public from ${String(o.obs_release_date).slice(0, 10)}` : ''}`,
  ]);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'meta-title' },
    h('h2', { id: 'meta-title' }, 'Metadata'),
    h(
      'dl',
      { class: 'meta' },
      items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}

function showLinks(panel: HTMLElement, rows: DataLinkRow[]): void {
  panel.querySelector('p.muted')?.remove();
  const files = rows.filter(
    (r) =>
      r.access_url && ['#this', '#calibration', '#package', '#derivation'].includes(r.semantics),
  );
  const errors = rows.filter((r) => r.error_message);
  const groups: [string, DataLinkRow[]][] = [
    ['Events', files.filter((r) => r.semantics === '#this' || r.semantics === '#package')],
    ['Instrument response', files.filter((r) => r.semantics === '#calibration')],
    ['Derived', files.filter((r) => r.semantics === '#derivation')],
  ];
  for (const [title, links] of groups) {
    if (links.length === 0) continue;
    panel.append(
      h('h3', {}, title),
      h(
        'div',
        { class: 'links' },
        links.map((link) => {
          const button = h(
            'button',
            {
              type: 'button',
              class: `btn${link.semantics === '#this' ? ' primary' : ''}`,
              title: link.description ?? '',
              'data-semantics': link.semantics,
            },
            linkLabel(link),
            link.content_length ? h('span', { class: 'hint' }, bytes(link.content_length)) : null,
          );
          button.addEventListener('click', () => {
            download(link.access_url!, fileNameOf(link.access_url!)).catch((error: unknown) =>
              panel.append(errorBox(String(error))),
            );
          });
          return button;
        }),
      ),
    );
  }
  for (const e of errors) panel.append(errorBox(`${e.semantics}: ${e.error_message}`));
  panel.append(
    h(
      'p',
      { class: 'small muted' },
      'Each file is FITS, as gammapy reads it. The event list holds the EVENTS and GTI HDUs; each response file one IRF HDU.',
    ),
  );
}

async function showPreviews(panel: HTMLElement, rows: DataLinkRow[]): Promise<void> {
  const images = rows.filter(
    (r) => r.access_url && r.content_type === 'image/png' && r.semantics.startsWith('#preview'),
  );
  if (images.length === 0) {
    panel.append(h('p', { class: 'muted' }, 'No preview.'));
    return;
  }
  const grid = h('div', { class: 'previews' });
  panel.append(grid);
  await Promise.all(
    images.map(async (link) => {
      const caption = (link.description ?? '').replace(/ of observation \S+$/, '');
      const img = h('img', { alt: caption, loading: 'lazy', width: 480, height: 480 });
      grid.append(h('figure', {}, img, h('figcaption', {}, caption)));
      try {
        img.src = await imageUrl(link.access_url!);
      } catch (error) {
        img.replaceWith(
          errorBox(`preview: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    }),
  );
}

function cutoutForm(
  panel: HTMLElement,
  did: string,
  soda: { accessUrl: string; params: Record<string, { min?: string; max?: string }> },
): void {
  const circle = (soda.params.CIRCLE?.max ?? '').split(' ');
  const time = [soda.params.TIME?.min ?? '', soda.params.TIME?.max ?? ''];
  const energy = [soda.params.ENERGY?.min ?? '', soda.params.ENERGY?.max ?? ''];
  const round = (v: string | undefined, d: number) =>
    v === undefined || v === '' ? '' : String(Number(Number(v).toFixed(d)));
  const input = (name: string, label: string, value: string, hint?: string) =>
    h(
      'div',
      { class: 'field' },
      h(
        'label',
        { for: `c-${name}` },
        label,
        hint ? h('span', { class: 'hint' }, ` ${hint}`) : null,
      ),
      h('input', { id: `c-${name}`, name, value, inputmode: 'decimal', autocomplete: 'off' }),
    );
  const form = h(
    'form',
    { class: 'cutout' },
    input('ra', 'Centre RA', round(circle[0], 4), 'deg'),
    input('dec', 'Centre Dec', round(circle[1], 4), 'deg'),
    input('radius', 'Radius', circle[2] ? String(Math.min(1, Number(circle[2]))) : '1', 'deg'),
    input('tmin', 'Time from', round(time[0], 6), 'MJD'),
    input('tmax', 'Time to', round(time[1], 6), 'MJD'),
    input('emin', 'Energy from', round(energy[0], 3), 'TeV'),
    input('emax', 'Energy to', round(energy[1], 2), 'TeV'),
  );
  const urlBox = h('div', { class: 'soda-url', 'aria-live': 'polite' });
  const message = h('div', {});
  const downloadButton = h('button', { type: 'button', class: 'btn primary' }, 'Download cutout');
  const sodaUrl = (): string => {
    const data = new FormData(form);
    const v = (k: string) => data.get(k)?.toString().trim() ?? '';
    const params = new URLSearchParams({ ID: did });
    if (v('ra') && v('dec') && v('radius'))
      params.set('CIRCLE', `${v('ra')} ${v('dec')} ${v('radius')}`);
    if (v('tmin') || v('tmax')) params.set('TIME', `${v('tmin') || '-Inf'} ${v('tmax') || '+Inf'}`);
    if (v('emin') || v('emax'))
      params.set('ENERGY', `${v('emin') || '-Inf'} ${v('emax') || '+Inf'}`);
    return `${soda.accessUrl}?${params}`;
  };
  const update = () => (urlBox.textContent = sodaUrl());
  form.addEventListener('input', update);
  update();
  downloadButton.addEventListener('click', async () => {
    message.replaceChildren();
    downloadButton.disabled = true;
    try {
      await download(sodaUrl(), `cutout-${did.split('?').pop()}.fits`);
    } catch (error) {
      message.append(errorBox(error instanceof Error ? error.message : String(error)));
    } finally {
      downloadButton.disabled = false;
    }
  });
  panel.append(
    h(
      'p',
      { class: 'muted small' },
      'Keep the events in a circle, a time interval and an energy range; the file carries the matching GTIs and responses. The limits shown are the observation\u2019s.',
    ),
    form,
    urlBox,
    h('div', { class: 'actions' }, downloadButton, copyButton(sodaUrl, 'Copy URL')),
    message,
  );
}

function pythonSnippets(
  panel: HTMLElement,
  tapUrl: string,
  did: string,
  rows: DataLinkRow[],
): void {
  const events = rows.find((r) => r.semantics === '#this')?.access_url;
  const pyvo = `import pyvo

tap = pyvo.dal.TAPService("${tapUrl}")
result = tap.search("SELECT * FROM ivoa.obscore WHERE obs_publisher_did = '${did}'")
links = next(result.iter_datalinks())
for link in links:
    print(link.semantics, link.content_qualifier, link.access_url)`;
  const gammapy = `from astropy.utils.data import download_file
from gammapy.data import EventList

events = EventList.read(download_file("${events ?? '<event list URL>'}", cache=True))
print(events.table[:5])`;
  for (const [title, code] of [
    ['pyvo: find it and its links', pyvo],
    ['gammapy: read the event list', gammapy],
  ] as const) {
    panel.append(
      h(
        'div',
        { class: 'results-head' },
        h('h3', {}, title),
        copyButton(() => code, 'Copy'),
      ),
      h('pre', { class: 'snippet' }, h('code', {}, code)),
    );
  }
}
