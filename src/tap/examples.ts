/**
 * DALI 1.1 examples for the TAP service: an XHTML page with RDFa markup (vocabulary
 * http://www.ivoa.net/rdf/examples#) that clients such as TOPCAT offer as menu items.
 */
import { escapeXml } from '../dali/index.js';

export interface TapExample {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly query: string;
  readonly tables: readonly string[];
}

export const TAP_EXAMPLES: readonly TapExample[] = [
  {
    id: 'cone-around-target',
    name: 'Observations pointed near a target',
    description:
      'Event lists whose pointing lies within 2 degrees of the Crab Nebula, nearest first.',
    query: `SELECT obs_id, target_name, s_ra, s_dec, t_min, t_exptime, access_url,
  DISTANCE(POINT('ICRS', s_ra, s_dec), POINT('ICRS', 83.633, 22.014)) AS separation
FROM ivoa.obscore
WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 83.633, 22.014, 2))
ORDER BY separation`,
    tables: ['ivoa.obscore'],
  },
  {
    id: 'energy-and-time',
    name: 'Event lists covering 1-10 TeV in a time range',
    description:
      'Joins ObsCore with the high-energy extension to select on energy in eV and on MJD.',
    query: `SELECT o.obs_id, o.target_name, o.t_min, o.t_max, h.energy_min, h.energy_max, h.ev_xel
FROM ivoa.obscore AS o
JOIN ivoa.obscore_hea AS h ON o.obs_publisher_did = h.obs_publisher_did
WHERE h.energy_min <= 1e12 AND h.energy_max >= 1e13
  AND o.t_min >= 53000 AND o.t_max <= 60000
ORDER BY t_min`,
    tables: ['ivoa.obscore', 'ivoa.obscore_hea'],
  },
  {
    id: 'irf-components',
    name: 'Instrument responses of full-enclosure observations',
    description: 'Which IRF components (aeff, edisp, psf, bkgrate, rad_max) each observation has.',
    query: `SELECT o.obs_id AS run, i.component, i.hdu_class, i.energy_lo, i.energy_hi, i.offset_max
FROM ivoa.obscore AS o
JOIN hearc.irf AS i ON o.obs_publisher_did = i.obs_publisher_did
WHERE i.enclosure = 'full-enclosure'
ORDER BY run, component`,
    tables: ['ivoa.obscore', 'hearc.irf'],
  },
  {
    id: 'livetime-per-target',
    name: 'Livetime and events per target',
    description: 'Sums the exposure and the number of events for each target.',
    query: `SELECT target_name, COUNT(*) AS n_obs, SUM(t_exptime) / 3600 AS livetime_hours, SUM(event_count) AS events
FROM ivoa.obscore
GROUP BY target_name
ORDER BY livetime_hours DESC`,
    tables: ['ivoa.obscore'],
  },
  {
    id: 'gammapy-obs-index',
    name: 'An observation table for gammapy',
    description:
      'The GADF obs-index columns, ready for gammapy to select runs, with the DataLink URL of each.',
    query: `SELECT obs_id, ra_pnt, dec_pnt, alt_pnt, az_pnt, tstart, tstop, livetime, deadc, obs_mode, access_url
FROM ivoa.obscore
WHERE dataproduct_subtype = 'hea-event-list'`,
    tables: ['ivoa.obscore'],
  },
];

export function examplesDocument(examples: readonly TapExample[] = TAP_EXAMPLES): string {
  const body = examples
    .map(
      (e) => `  <div typeof="example" id="${e.id}" resource="#${e.id}">
    <h2 property="name">${escapeXml(e.name)}</h2>
    <p property="description">${escapeXml(e.description)}</p>
    <p>Tables: ${e.tables.map((t) => `<span property="table">${escapeXml(t)}</span>`).join(', ')}</p>
    <pre property="query">${escapeXml(e.query)}</pre>
  </div>
`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head><title>hearc TAP examples</title></head>
<body vocab="http://www.ivoa.net/rdf/examples#">
<h1>Example queries</h1>
${body}</body>
</html>
`;
}
