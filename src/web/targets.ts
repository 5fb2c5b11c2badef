/**
 * Well-known high-energy sources, to resolve names offline. Positions are the ICRS
 * coordinates given by SIMBAD (CDS) for each object; extended sources at their
 * catalogued centre.
 */
export interface KnownSource {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly ra: number;
  readonly dec: number;
}

export const CATALOGUE_NAME = 'SIMBAD (CDS), ICRS';

export const KNOWN_SOURCES: readonly KnownSource[] = [
  {
    name: 'Crab Nebula',
    aliases: ['Crab', 'M 1', 'NGC 1952', 'Taurus A'],
    ra: 83.63308,
    dec: 22.0145,
  },
  {
    name: 'Vela pulsar',
    aliases: ['PSR B0833-45', 'PSR J0835-4510', 'Vela'],
    ra: 128.83588,
    dec: -45.17635,
  },
  { name: 'Geminga', aliases: ['PSR J0633+1746'], ra: 98.47564, dec: 17.77025 },
  { name: 'PKS 2155-304', aliases: [], ra: 329.71694, dec: -30.22559 },
  { name: 'Mrk 421', aliases: ['Markarian 421'], ra: 166.11381, dec: 38.20883 },
  { name: 'Mrk 501', aliases: ['Markarian 501'], ra: 253.46757, dec: 39.76017 },
  { name: '1ES 1959+650', aliases: [], ra: 299.99938, dec: 65.14852 },
  { name: '1ES 0229+200', aliases: [], ra: 38.2026, dec: 20.28811 },
  { name: 'BL Lacertae', aliases: ['BL Lac'], ra: 330.68038, dec: 42.27777 },
  { name: '3C 279', aliases: [], ra: 194.04653, dec: -5.78931 },
  { name: 'PKS 1510-089', aliases: [], ra: 228.21055, dec: -9.09995 },
  { name: 'M 87', aliases: ['Virgo A', 'NGC 4486'], ra: 187.70593, dec: 12.39112 },
  { name: 'NGC 253', aliases: [], ra: 11.88806, dec: -25.28822 },
  { name: 'M 82', aliases: ['NGC 3034'], ra: 148.96969, dec: 69.67938 },
  { name: 'NGC 1068', aliases: ['M 77'], ra: 40.66963, dec: -0.01328 },
  { name: 'TXS 0506+056', aliases: [], ra: 77.35819, dec: 5.69315 },
  {
    name: 'Sgr A*',
    aliases: ['Sagittarius A*', 'Galactic Centre', 'Galactic Center', 'HESS J1745-290'],
    ra: 266.41684,
    dec: -29.00781,
  },
  {
    name: 'RX J1713.7-3946',
    aliases: ['G347.3-0.5', 'RXJ 1713.7-3946'],
    ra: 258.3875,
    dec: -39.76,
  },
  {
    name: 'MSH 15-52',
    aliases: ['PSR B1509-58', 'MSH15-52', 'G320.4-1.2'],
    ra: 228.48175,
    dec: -59.13583,
  },
  { name: 'Cassiopeia A', aliases: ['Cas A', '3C 461'], ra: 350.85, dec: 58.815 },
  { name: 'Tycho SNR', aliases: ['SN 1572', '3C 10'], ra: 6.33417, dec: 64.13694 },
  { name: 'IC 443', aliases: [], ra: 94.25, dec: 22.53 },
  { name: 'LS 5039', aliases: [], ra: 276.56271, dec: -14.84842 },
  { name: 'LS I +61 303', aliases: ['LSI +61 303'], ra: 40.13194, dec: 61.22933 },
  { name: 'PSR B1259-63', aliases: ['LS 2883'], ra: 195.69854, dec: -63.83572 },
];

/** How names are compared: case, spaces and underscores do not count. */
export const nameKey = (name: string): string => name.toLowerCase().replace(/[\s_]+/g, '');

export function knownSource(name: string): KnownSource | undefined {
  const key = nameKey(name);
  return KNOWN_SOURCES.find((s) => [s.name, ...s.aliases].some((n) => nameKey(n) === key));
}
