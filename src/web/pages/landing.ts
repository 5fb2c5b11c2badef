/** `/`: who the service is, what it holds, where its VO endpoints are. */
import { dateOfMjd, service, tapRecords, tevOfWavelength } from '../api.js';
import { copyButton, dataTable, errorBox, finiteNumber, fmt, h } from '../dom.js';
import { navigate } from '../nav.js';
import { createSkyView } from '../aladin.js';

function energyRange(emMin: unknown, emMax: unknown): string {
  const lo = finiteNumber(emMax);
  const hi = finiteNumber(emMin);
  if (lo === undefined || hi === undefined) return '–';
  return `${fmt(tevOfWavelength(lo), 2)} – ${fmt(tevOfWavelength(hi), 1)} TeV`;
}

export async function render(main: HTMLElement): Promise<void> {
  const s = await service();
  document.title = s.title;
  const collections = h(
    'section',
    { class: 'card', 'aria-labelledby': 'collections-title' },
    h('h2', { id: 'collections-title' }, 'Collections'),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const coverage = h(
    'section',
    { class: 'card', 'aria-labelledby': 'coverage-title' },
    h('h2', { id: 'coverage-title' }, 'Sky coverage'),
  );
  main.append(
    h(
      'section',
      { class: 'hero' },
      h('h1', {}, s.title),
      h('p', { class: 'lead' }, s.description),
      h(
        'form',
        { class: 'hero-search', role: 'search', action: 'search', method: 'get' },
        h('label', { for: 'hero-target', class: 'visually-hidden' }, 'Object name or position'),
        h('input', {
          id: 'hero-target',
          name: 'target',
          placeholder: 'Object name, e.g. Crab or PKS 2155-304',
          autocomplete: 'off',
        }),
        h('button', { class: 'btn primary', type: 'submit' }, 'Search'),
      ),
      h(
        'p',
        { class: 'actions' },
        h('a', { class: 'btn', href: 'search' }, 'Search by position, time and energy'),
        h('a', { class: 'btn', href: 'adql' }, 'ADQL console'),
        h('a', { class: 'btn', href: 'alerts' }, 'Multi-messenger alerts'),
      ),
    ),
    collections,
    h('div', { class: 'grid-2' }, coverage, endpoints(s.urls)),
    h(
      'section',
      { class: 'card about' },
      h('h2', {}, 'About the data'),
      h(
        'dl',
        { class: 'meta' },
        h('dt', {}, 'Publisher'),
        h('dd', {}, s.publisher),
        h('dt', {}, 'Contact'),
        h(
          'dd',
          {},
          s.contact.email
            ? h('a', { href: `mailto:${s.contact.email}` }, s.contact.name)
            : s.contact.name,
        ),
        h('dt', {}, 'Rights'),
        h(
          'dd',
          {},
          s.rights,
          s.licenceUrl
            ? [' (', h('a', { href: s.licenceUrl, rel: 'license' }, 'licence'), ')']
            : null,
        ),
        s.referenceUrl
          ? [
              h('dt', {}, 'Documentation'),
              h('dd', {}, h('a', { href: s.referenceUrl }, s.referenceUrl)),
            ]
          : null,
      ),
    ),
  );
  const form = main.querySelector<HTMLFormElement>('.hero-search')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const target = new FormData(form).get('target')?.toString().trim();
    navigate(target ? `search?target=${encodeURIComponent(target)}` : 'search');
  });

  try {
    const rows = await tapRecords(
      `SELECT obs_collection, instrument_name, COUNT(*) AS n_obs, MIN(t_min) AS t_first, MAX(t_max) AS t_last,
  MIN(em_min) AS em_min, MAX(em_max) AS em_max, SUM(t_exptime) AS exposure
FROM ivoa.obscore GROUP BY obs_collection, instrument_name ORDER BY obs_collection, instrument_name`,
    );
    const titles = new Map(s.collections.map((c) => [c.name, c]));
    collections.querySelector('p')!.remove();
    if (rows.length === 0)
      collections.append(h('p', { class: 'muted' }, 'Nothing is published yet.'));
    else
      collections.append(
        dataTable(
          ['Collection', 'Instrument', 'Observations', 'Time span', 'Energy range', 'Exposure'],
          rows.map((r) => {
            const name = String(r.obs_collection);
            const described = titles.get(name);
            return h(
              'tr',
              {},
              h(
                'td',
                {},
                h(
                  'a',
                  { href: `search?collection=${encodeURIComponent(name)}` },
                  described?.title ?? name,
                ),
                described?.description
                  ? h('div', { class: 'small muted' }, described.description)
                  : null,
              ),
              h('td', {}, String(r.instrument_name ?? '–')),
              h('td', { class: 'num' }, fmt(r.n_obs)),
              h(
                'td',
                {},
                finiteNumber(r.t_first) !== undefined
                  ? `${dateOfMjd(r.t_first as number)} – ${dateOfMjd(r.t_last as number)}`
                  : '–',
              ),
              h('td', {}, energyRange(r.em_min, r.em_max)),
              h(
                'td',
                { class: 'num' },
                finiteNumber(r.exposure) !== undefined
                  ? `${fmt((r.exposure as number) / 3600, 2)} h`
                  : '–',
              ),
            );
          }),
        ),
      );
    const pointings = await tapRecords(
      'SELECT obs_collection, obs_id, target_name, s_ra, s_dec, s_fov FROM ivoa.obscore WHERE s_ra IS NOT NULL',
      5000,
    );
    const sky = createSkyView({
      hips: 'hips/service',
      moc: 'moc/service.fits',
      label: `Fields of view of ${pointings.length} observations, Galactic coordinates`,
      footprints: pointings.map((p) => ({
        id: `${p.obs_collection}/${p.obs_id}`,
        ra: p.s_ra as number,
        dec: p.s_dec as number,
        radius: Math.max(0.5, (finiteNumber(p.s_fov) ?? 5) / 2),
        label: `${p.target_name ?? ''} — observation ${p.obs_id} (${p.obs_collection})`,
      })),
      onSelect: (id) => navigate(`obs/${id.split('/').map(encodeURIComponent).join('/')}`),
    });
    coverage.append(
      sky.element,
      h(
        'p',
        { class: 'small muted' },
        'Counts of the public events (hearc\u2019s own HiPS), Galactic coordinates; the shaded area is the coverage, each circle an observation\u2019s field of view. Select one to open it.',
      ),
    );
  } catch (error) {
    collections.querySelector('p')?.remove();
    collections.append(errorBox(error instanceof Error ? error.message : String(error)));
  }
}

function endpoints(urls: Record<string, string>): HTMLElement {
  const rows: [string, string, string][] = [
    ['TAP (paste into TOPCAT or pyvo)', urls.tap!, 'tap'],
    ['Capabilities (VOSI)', urls.capabilities!, 'capabilities'],
    ['Tables (VOSI)', urls.tables!, 'tables'],
    ['Example queries', urls.examples!, 'examples'],
    ['Availability', urls.availability!, 'availability'],
    ['DataLink', urls.datalink!, 'datalink'],
    ['SODA cutouts', urls.soda!, 'soda'],
  ];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'endpoints-title' },
    h('h2', { id: 'endpoints-title' }, 'VO endpoints'),
    h(
      'div',
      { class: 'tap-url' },
      h('label', { for: 'tap-url' }, 'TAP service URL'),
      h(
        'div',
        { class: 'copy-row' },
        h('input', { id: 'tap-url', readonly: true, value: urls.tap! }),
        copyButton(() => urls.tap!, 'Copy'),
      ),
    ),
    h(
      'ul',
      { class: 'endpoints' },
      rows
        .slice(1)
        .map(([label, url, id]) =>
          h('li', {}, h('span', {}, label), h('a', { href: url, id: `endpoint-${id}` }, url)),
        ),
    ),
  );
}
