/**
 * Maps an observation read from a GADF data store to its catalog rows: one
 * ivoa.obscore row, one ivoa.obscore_hea row, and one hearc.irf row per IRF component.
 */
import {
  circleToPolygon,
  type IrfComponent,
  metToMjdUtc,
  mjdToDate,
  mjdUtcToBarycentricJdTcb,
  type ObservationSummary,
} from '../gadf/index.js';
import type { CatalogRow } from '../engine/types.js';
import { timeMocFromJdIntervals } from '../moc/index.js';
import { type PublishConfig, publisherDid, releaseDateOf } from './config.js';

/** h·c in eV·m (CODATA 2022), for λ = hc / E. */
export const HC_EV_M = 1.239841984332e-6;
const EV_PER_TEV = 1e12;

export const DATALINK_FORMAT = 'application/x-votable+xml;content=datalink';
export const FITS_FORMAT = 'application/fits';

/** DataLink content qualifiers of the high-energy extension, by GADF HDU_TYPE. */
export const IRF_QUALIFIERS: Readonly<Record<string, string>> = {
  aeff: 'aeff',
  edisp: 'edisp',
  psf: 'psf',
  bkg: 'bkgrate',
  rad_max: 'rad_max',
};

export interface ObservationRows {
  readonly did: string;
  readonly obscore: CatalogRow;
  readonly hea: CatalogRow;
  readonly irf: readonly CatalogRow[];
}

export function wavelengthOfTeV(energyTeV: number): number {
  return HC_EV_M / (energyTeV * EV_PER_TEV);
}

interface Messenger {
  readonly name: string;
  readonly pdgid: string | null;
}

const NEUTRINO_INSTRUMENTS = /icecube|km3net|antares|baikal/i;

function messengerOf(obs: ObservationSummary, config: PublishConfig): Messenger {
  const named = config.messenger?.toLowerCase();
  if (named === 'neutrino') return { name: 'neutrino', pdgid: null };
  if (named && named !== 'photon') return { name: named, pdgid: null };
  if (!named && NEUTRINO_INSTRUMENTS.test(`${obs.telescope ?? ''} ${obs.instrument ?? ''}`)) {
    return { name: 'neutrino', pdgid: null };
  }
  return { name: 'photon', pdgid: '+22' };
}

function trackingMode(obsMode: string): string | null {
  if (obsMode === 'DRIFT') return 'fixed-az-el-transit';
  if (obsMode === 'POINTING' || obsMode === 'WOBBLE' || obsMode === 'SCAN') return 'sidereal';
  // A satellite's sky survey (Fermi-LAT) tracks no celestial target.
  if (obsMode === 'SURVEY') return 'none';
  return null;
}

function scanMode(obsMode: string): string | null {
  if (obsMode === 'WOBBLE') return 'on-the-fly-cross-map';
  if (obsMode === 'POINTING') return 'on-source';
  if (obsMode === 'SCAN') return 'raster-map';
  // The survey sweeps the sky along a predefined pattern (the LAT's rocking profile).
  if (obsMode === 'SURVEY') return 'on-the-fly-cross-scan';
  return null;
}

function analysisMode(irfs: readonly IrfComponent[]): string | null {
  if (irfs.some((c) => c.enclosure === 'point-like')) return 'point-like';
  if (irfs.some((c) => c.enclosure === 'full-enclosure')) return 'full-enclosure';
  return null;
}

function pointingMode(obs: ObservationSummary): string | null {
  // The HE extension leaves pointing_mode NULL for instruments that do not point.
  if (obs.raPnt === undefined) return null;
  const depth = obs.eventsHeader.has('CONV_DEP')
    ? obs.eventsHeader.getNumber('CONV_DEP')
    : undefined;
  if (depth === 0) return 'parallel';
  return null;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Where access_url leads, relative to the service: the server prefixes its own public URL when answering. */
export function accessPath(config: PublishConfig, did: string, relativePath: string): string {
  return config.accessMode === 'datalink'
    ? `/datalink?ID=${encodeURIComponent(did)}`
    : `/files/${encodeURIComponent(config.collection)}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Radius of the field of view, deg: the offsets the full-enclosure IRFs cover (where
 * the data can be analysed), else the offset holding 99% of the events. Event lists
 * may hold stray events tens of degrees out (H.E.S.S. DR1 does), so never the largest offset.
 */
export function fieldOfViewRadius(obs: ObservationSummary): number {
  // Without a fixed pointing the observation covers its selection cone, or where its events are.
  if (obs.raPnt === undefined) return obs.selection?.cone?.radius ?? obs.maxOffset;
  const fullEnclosure = obs.irfs.filter(
    (c) => c.type === 'aeff' && c.enclosure === 'full-enclosure',
  );
  const irfOffset = Math.max(0, ...fullEnclosure.map((c) => c.offsetMax ?? 0));
  return irfOffset > 0 ? irfOffset : obs.offset99;
}

/**
 * The polygon of the sky covered: a circle of `radius` about the centre; when that
 * exceeds a hemisphere (a drift scan round the sky), the cap about the pole that holds
 * the declination band of the events, or NULL when the band straddles the equator.
 */
function skyRegion(obs: ObservationSummary, radius: number): number[] | null {
  const polygon = (ra: number, dec: number, r: number): number[] =>
    circleToPolygon(ra, dec, r).map((v) => round(v, 6));
  // circleToPolygon's corners lie outside the circle; the polygon must stay within a hemisphere.
  const fits = (r: number): boolean => r / Math.cos(Math.PI / 16) < 90;
  if (fits(radius)) return polygon(obs.centre.ra, obs.centre.dec, radius);
  const [decMin, decMax] = obs.decRange ?? [-90, 90];
  if (decMin > 0 && fits(90 - decMin)) return polygon(0, 90, 90 - decMin);
  if (decMax < 0 && fits(90 + decMax)) return polygon(0, -90, 90 + decMax);
  return null;
}

/** The energy range covered, TeV: the selection's where it says (photon lists), else the events'. */
function energyRange(obs: ObservationSummary): readonly [number, number] | undefined {
  const events = obs.eventCount > 0 ? ([obs.energyMin, obs.energyMax] as const) : undefined;
  const [lo, hi] = obs.selection?.energy ?? [-Infinity, Infinity];
  const min = Number.isFinite(lo) ? lo : events?.[0];
  const max = Number.isFinite(hi) ? hi : events?.[1];
  return min !== undefined && max !== undefined ? [min, max] : undefined;
}

export function observationRows(obs: ObservationSummary, config: PublishConfig): ObservationRows {
  const did = publisherDid(config, obs.obsId);
  const energy = energyRange(obs);
  const radius = Math.max(fieldOfViewRadius(obs), 0.01);
  const target = obs.targetName ?? obs.object ?? null;
  const estsize = Math.ceil(obs.files.reduce((sum, f) => sum + f.size, 0) / 1024);
  const barycentric = (met: number): number =>
    mjdUtcToBarycentricJdTcb(metToMjdUtc(met, obs.timeRef), obs.centre.ra, obs.centre.dec);
  const jdIntervals = obs.gtis.map(([a, b]) => [barycentric(a), barycentric(b)] as const);
  const messenger = messengerOf(obs, config);
  const resolution = obs.irfs.find((c) => c.containment68)?.containment68;

  const obscore: CatalogRow = {
    dataproduct_type: 'event',
    dataproduct_subtype: 'hea-event-list',
    calib_level: 2,
    obs_collection: config.collection,
    obs_id: obs.obsId,
    obs_publisher_did: did,
    access_url: accessPath(config, did, obs.events.relativePath),
    access_format: config.accessMode === 'datalink' ? DATALINK_FORMAT : FITS_FORMAT,
    access_estsize: estsize,
    target_name: target,
    s_ra: obs.centre.ra,
    s_dec: obs.centre.dec,
    s_fov: round(2 * radius, 4),
    s_region: skyRegion(obs, radius),
    s_resolution: resolution ? round(resolution.radius * 3600, 3) : null,
    s_xel1: -1,
    s_xel2: -1,
    t_xel: -1,
    t_min: obs.mjdStart,
    t_max: obs.mjdStop,
    t_exptime: obs.livetime,
    t_resolution: null,
    em_xel: -1,
    em_min: energy ? wavelengthOfTeV(energy[1]) : null,
    em_max: energy ? wavelengthOfTeV(energy[0]) : null,
    em_res_power: null,
    o_ucd: 'pos.eq#time#em.energy',
    pol_states: null,
    pol_xel: -1,
    facility_name: obs.telescope ?? null,
    instrument_name: obs.instrument ?? null,
    obs_title: `${obs.telescope ?? 'DL3'} observation ${obs.obsId}${target ? ` of ${target}` : ''}`,
    obs_creator_did: null,
    data_rights: config.dataRights,
    obs_release_date: releaseDateOf(config, mjdToDate(obs.mjdStop)),
    proposal_id: null,
    obs_mode: obs.obsMode,
    ra_pnt: obs.raPnt ?? null,
    dec_pnt: obs.decPnt ?? null,
    alt_pnt: obs.altPnt ?? null,
    az_pnt: obs.azPnt ?? null,
    zen_pnt: obs.altPnt === undefined ? null : 90 - obs.altPnt,
    tstart: obs.tstart,
    tstop: obs.tstop,
    mjdrefi: obs.timeRef.mjdRefInt,
    mjdreff: obs.timeRef.mjdRefFrac,
    timesys: obs.timeRef.scale,
    ontime: obs.ontime,
    livetime: obs.livetime,
    deadc: obs.deadc,
    object: obs.object ?? null,
    ra_obj: obs.raObj ?? null,
    dec_obj: obs.decObj ?? null,
    n_tels: obs.nTels ?? null,
    event_count: obs.eventCount,
    geolon: obs.geolon ?? null,
    geolat: obs.geolat ?? null,
    altitude: obs.altitude ?? null,
  };

  const hea: CatalogRow = {
    obs_publisher_did: did,
    ev_xel: obs.eventCount,
    energy_min: energy ? energy[0] * EV_PER_TEV : null,
    energy_max: energy ? energy[1] * EV_PER_TEV : null,
    s_ref_energy: resolution ? resolution.energy * EV_PER_TEV : null,
    em_ref_energy: null,
    s_ref_oaa: resolution ? resolution.offset : null,
    em_ref_oaa: null,
    t_intervals: timeMocFromJdIntervals(jdIntervals),
    obs_mode: obs.obsMode,
    tracking_mode: trackingMode(obs.obsMode),
    scan_mode: scanMode(obs.obsMode),
    pointing_mode: pointingMode(obs),
    analysis_mode: analysisMode(obs.irfs),
    event_type: obs.eventClass || obs.selection?.eventClass || null,
    messenger: messenger.name,
    messenger_name: messenger.name,
    messenger_pdgid: messenger.pdgid,
  };

  const irf = obs.irfs.map((c): CatalogRow => ({
    obs_publisher_did: did,
    obs_id: obs.obsId,
    component: IRF_QUALIFIERS[c.type] ?? c.type,
    hdu_class: c.hduClass,
    hdu_name: c.hduName,
    file_path: c.relativePath,
    hdu_size: c.hduSize,
    enclosure: c.enclosure ?? null,
    energy_lo: c.energyLo ?? null,
    energy_hi: c.energyHi ?? null,
    offset_max: c.offsetMax ?? null,
  }));
  return { did, obscore, hea, irf };
}
