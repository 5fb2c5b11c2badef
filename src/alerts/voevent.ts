/**
 * VOEvent 2.0 (IVOA Recommendation 2011): the author IVORN, the event time and position
 * (WhereWhen/ObsDataLocation/ObservationLocation/AstroCoords) with its error circle,
 * and the What Params that name containments or revisions. Read with the project's
 * strict XML tokenizer: no DTD, so no external entities.
 */
import {
  parseXmlTree,
  VotableError,
  xmlChild,
  type XmlElement,
  xmlDescendants,
  xmlPath,
} from '../votable/index.js';
import { type Alert, messengerOf, mjdOfIso } from './alert.js';
import { AlertError } from './errors.js';
import { gaussianMap, gaussianSigma } from './localisation.js';

function parseXml(text: string, source: string): XmlElement {
  try {
    const document = parseXmlTree(text);
    if (!document) throw new AlertError('the document is empty', source);
    return document;
  } catch (error) {
    if (error instanceof VotableError)
      throw new AlertError(error.message, source, { cause: error });
    throw error;
  }
}

const child = xmlChild;
const path = xmlPath;
const descendants = xmlDescendants;

function numberIn(
  element: XmlElement | undefined,
  what: string,
  source: string,
): number | undefined {
  if (!element) return undefined;
  const value = Number(element.text.trim());
  if (element.text.trim() === '' || !Number.isFinite(value)) {
    throw new AlertError(`${what} '${element.text.trim()}' is not a number`, source);
  }
  return value;
}

const ERROR_PARAM =
  /^(?:err(?:or)?|pos_?err(?:or)?|ra_dec_error)[_ ]?(50|68|90|99)(?:[_ ]?(?:pct|percent|deg))?$/i;
const CONTAINMENT_PARAM = /^(?:error2radius_)?containment(?:_probability)?$/i;
const ID_PARAMS = ['graceid', 'event_name', 'trigid', 'trig_id', 'amon_id', 'event_id'];
const REVISION_PARAMS = ['revision', 'record_number', 'pkt_ser_num'];

/** An alert from a VOEvent 2.0 document (its text). */
export function voeventAlert(text: string, source: string): Alert {
  const root = parseXml(text, source);
  if (root.name !== 'VOEvent') {
    throw new AlertError(`the root element is <${root.name}>, not <VOEvent>`, source);
  }
  const ivorn = root.attributes.get('ivorn');
  if (!ivorn) throw new AlertError('<VOEvent> has no ivorn attribute', source);
  const params = new Map<string, string>();
  const what = child(root, 'What');
  if (what) {
    for (const param of descendants(what, 'Param')) {
      const name = param.attributes.get('name');
      const value = param.attributes.get('value') ?? child(param, 'Value')?.text.trim();
      if (name && value !== undefined) params.set(name.toLowerCase(), value);
    }
  }
  const location = path(root, 'WhereWhen', 'ObsDataLocation', 'ObservationLocation');
  const coords = child(location, 'AstroCoords');
  if (!coords)
    throw new AlertError('no WhereWhen/ObsDataLocation/ObservationLocation/AstroCoords', source);
  const system = coords.attributes.get('coord_system_id') ?? '';
  if (system !== '' && !/^(UTC|TT)-(ICRS|FK5)-/i.test(system)) {
    throw new AlertError(
      `coordinate system '${system}' is not read (UTC or TT with ICRS or FK5)`,
      source,
    );
  }
  if (/^TT-/i.test(system)) {
    throw new AlertError(`coordinate system '${system}': only UTC event times are read`, source);
  }
  const iso = path(coords, 'Time', 'TimeInstant', 'ISOTime')?.text.trim();
  if (!iso) throw new AlertError('no Time/TimeInstant/ISOTime in AstroCoords', source);
  // VOEvent ISOTime carries no zone: the coordinate system says UTC.
  const tEvent = mjdOfIso(iso.endsWith('Z') ? iso : `${iso}Z`);
  if (tEvent === undefined)
    throw new AlertError(`ISOTime '${iso}' is not an ISO 8601 time`, source);
  const position = child(coords, 'Position2D');
  const unit = position?.attributes.get('unit') ?? 'deg';
  if (position && unit !== 'deg') {
    throw new AlertError(`Position2D unit '${unit}' is not read (deg)`, source);
  }
  const ra = numberIn(path(position, 'Value2', 'C1'), 'Position2D C1', source);
  const dec = numberIn(path(position, 'Value2', 'C2'), 'Position2D C2', source);
  if (ra !== undefined && (ra < 0 || ra > 360))
    throw new AlertError(`RA ${ra} is outside 0..360`, source);
  if (dec !== undefined && (dec < -90 || dec > 90))
    throw new AlertError(`Dec ${dec} is outside -90..90`, source);
  const radius = numberIn(child(position, 'Error2Radius'), 'Error2Radius', source);
  const errors: Partial<Record<50 | 68 | 90 | 99, number>> = {};
  for (const [name, value] of params) {
    const m = ERROR_PARAM.exec(name);
    const r = Number(value);
    if (m && Number.isFinite(r) && r >= 0) errors[Number(m[1]) as 50 | 68 | 90 | 99] = r;
  }
  // Error2Radius's containment: a Param that says so, else 68 % (one sigma, VOEvent's usual reading).
  const containmentText = [...params].find(([name]) => CONTAINMENT_PARAM.test(name))?.[1];
  let containment = containmentText !== undefined ? Number(containmentText) : 0.68;
  if (containment > 1) containment /= 100;
  if (!(containment > 0 && containment < 1)) {
    throw new AlertError(`containment '${containmentText}' is not a probability`, source);
  }
  const level = Math.round(containment * 100);
  if (radius !== undefined && (level === 50 || level === 68 || level === 90 || level === 99)) {
    errors[level] ??= radius;
  }
  const idParam = ID_PARAMS.map((n) => params.get(n)).find((v) => v !== undefined && v !== '');
  const revisionParam = REVISION_PARAMS.map((n) => params.get(n)).find((v) => v !== undefined);
  const revision = revisionParam !== undefined ? Number(revisionParam) : undefined;
  if (revision !== undefined && !Number.isInteger(revision)) {
    throw new AlertError(`revision '${revisionParam}' is not an integer`, source);
  }
  const author = path(root, 'Who', 'AuthorIVORN')?.text.trim();
  const base = {
    alertId: idParam ?? ivorn,
    ...(revision !== undefined ? { revision } : {}),
    messenger: messengerOf(author, ivorn, params.get('instrument'), params.get('mission')),
    tEvent,
    tEventIso: iso,
    errors,
    source: ivorn,
    format: 'voevent' as const,
    document: text,
    ...(author ? { author } : {}),
  };
  if (ra === undefined || dec === undefined) return base;
  if (radius === undefined || !(radius > 0)) return { ...base, ra, dec };
  return {
    ...base,
    ra,
    dec,
    localisation: gaussianMap(ra, dec, gaussianSigma(radius, containment)),
  };
}
