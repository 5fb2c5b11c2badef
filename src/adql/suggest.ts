/** "Did you mean" hints for misspelt names in ADQL error messages. */

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(
        above + 1,
        (row[j - 1] as number) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** "; did you mean 'x'?" for the closest candidate, or nothing. */
export function suggestion(wanted: string, candidates: Iterable<string>): string {
  if (wanted.length > 64) return '';
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = wanted.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(w.length / 3));
  return best !== undefined && bestDistance <= limit ? `; did you mean '${best}'?` : '';
}
