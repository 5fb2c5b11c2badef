/** Edits of FITS tables for tests that break a simulated store on purpose. */
import {
  type BinTableColumnSpec,
  type BinTableHdu,
  buildBinTable,
  type Card,
} from '../../src/fits/index.js';

/** Cards the writer makes itself from the columns and data. */
export const STRUCTURAL =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|TTYPE\d+|TFORM\d+|TUNIT\d+|TDIM\d+|TZERO\d+|TSCAL\d+|EXTNAME|CHECKSUM|DATASUM|END)$/;

/** A copy of a binary table with some columns dropped or replaced and some header cards removed. */
export function rebuilt(
  table: BinTableHdu,
  change: {
    readonly drop?: readonly string[];
    readonly replace?: Readonly<Record<string, Partial<BinTableColumnSpec>>>;
    readonly withoutKeywords?: readonly string[];
    readonly renameColumns?: (name: string) => string;
    readonly editCards?: (card: Card) => Card;
  },
) {
  const columns = table.columns
    .filter((c) => !change.drop?.includes(c.name))
    .map((c): BinTableColumnSpec => {
      const data = table.readColumn(c.name);
      const base: BinTableColumnSpec = {
        name: change.renameColumns?.(c.name) ?? c.name,
        format: c.tform,
        ...(c.unit ? { unit: c.unit } : {}),
        ...(c.dim ? { dim: c.dim } : {}),
        values: data.values,
      };
      return { ...base, ...(change.replace?.[c.name] ?? {}) };
    });
  return buildBinTable({
    name: table.name,
    columns,
    header: table.header.cards
      .filter((c) => !STRUCTURAL.test(c.keyword) && !change.withoutKeywords?.includes(c.keyword))
      .map((c) => change.editCards?.(c) ?? c),
  });
}

/** The bytes of a FITS file without its CHECKSUM and DATASUM cards (whose comments hold the time of writing). */
export function withoutChecksums(fits: Uint8Array): Buffer {
  const cards: Uint8Array[] = [];
  for (let at = 0; at < fits.length; at += 80) {
    const card = fits.subarray(at, at + 80);
    const keyword = Buffer.from(card.subarray(0, 9)).toString('latin1');
    if (keyword !== 'CHECKSUM=' && keyword !== 'DATASUM =') cards.push(card);
  }
  return Buffer.concat(cards);
}
