/**
 * Copying HDUs byte for byte from one file into a new one (e.g. one IRF HDU into
 * a file of its own for a DataLink #calibration link). The source streams
 * through, so large HDUs are never held whole; CHECKSUMs stay valid because
 * nothing in the copied HDUs changes.
 */
import { FitsError, hduLabel } from './errors.js';
import { paddedLength } from './header.js';
import { openByteSource } from './source.js';
import { readNextHeader, truncated, type HduSummary } from './stream.js';
import { emptyPrimaryHeader, hduChunks, writeAtomically, type WriteFitsOptions } from './write.js';

const PIECE = 16 << 20;

/**
 * Writes the selected HDUs of `sourcePath` (by index, EXTNAME case-insensitive, or
 * 'PRIMARY') to `targetPath`, unchanged and in the source's order. An empty
 * primary HDU goes first unless the source's primary is selected.
 */
export async function copyHdus(
  sourcePath: string,
  targetPath: string,
  selection: readonly (string | number)[],
  options: Pick<WriteFitsOptions, 'gzip' | 'gzipLevel' | 'checksum'> = {},
): Promise<HduSummary[]> {
  if (selection.length === 0) throw new FitsError('no HDUs selected to copy', { file: sourcePath });
  const wanted = new Set(
    selection.map((s) => (typeof s === 'number' ? s : s.trim().toUpperCase())),
  );
  const found = new Set<string | number>();
  const copied: HduSummary[] = [];
  const seen: string[] = [];
  const isWanted = (summary: HduSummary): string | number | undefined => {
    const name = summary.name.toUpperCase();
    if (wanted.has(summary.index)) return summary.index;
    if (name !== '' && wanted.has(name)) return name;
    if (summary.index === 0 && wanted.has('PRIMARY')) return 'PRIMARY';
    return undefined;
  };
  await writeAtomically(targetPath, options, async function* () {
    const source = await openByteSource(sourcePath);
    try {
      for (let index = 0; ; index++) {
        const read = await readNextHeader(source, index);
        if (read === undefined) break;
        const { summary } = read;
        seen.push(hduLabel(index, summary.name));
        const key = isWanted(summary);
        const padded = paddedLength(summary.dataByteLength);
        if (key === undefined) {
          const skipped = await source.skip(padded);
          if (skipped < summary.dataByteLength) throw truncated(read, skipped);
          continue;
        }
        found.add(key);
        if (copied.length === 0 && index !== 0) {
          yield* hduChunks(
            { header: emptyPrimaryHeader(), data: new Uint8Array(0) },
            options.checksum ?? true,
          );
        }
        copied.push(summary);
        yield read.headerBytes.subarray(0, summary.dataOffset - summary.headerOffset);
        for (let done = 0; done < padded;) {
          const piece = await source.read(Math.min(PIECE, padded - done));
          if (piece.length === 0) {
            if (done < summary.dataByteLength) throw truncated(read, done);
            yield new Uint8Array(padded - done);
            break;
          }
          yield piece;
          done += piece.length;
        }
      }
    } finally {
      await source.close();
    }
    const missing = selection.filter(
      (s) => !found.has(typeof s === 'number' ? s : s.trim().toUpperCase()),
    );
    if (missing.length > 0) {
      throw new FitsError(
        `there is no HDU ${missing.map((m) => (typeof m === 'number' ? m : `'${m}'`)).join(', ')} to copy (HDUs: ${seen.join(', ')})`,
        { file: sourcePath },
      );
    }
  });
  return copied;
}
