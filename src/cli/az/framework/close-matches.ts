/**
 * "Did you mean" suggestions as az computes them: Python's difflib.get_close_matches (Ratcliff/Obershelp
 * similarity, ratio = 2·M/T, default cutoff 0.6; az uses 0.7 for commands and values). Written from the
 * algorithm's description: longest common block, then recursively the parts left and right of it.
 */

/** Number of matching characters between a and b (sum of the recursive longest common blocks). */
function matchingCharacters(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  // Longest common substring by dynamic programming; leftmost in a, then leftmost in b, as difflib prefers.
  let bestLen = 0;
  let bestA = 0;
  let bestB = 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      if (a[i - 1] === b[j - 1]) {
        cur[j] = prev[j - 1]! + 1;
        if (cur[j]! > bestLen) {
          bestLen = cur[j]!;
          bestA = i - bestLen;
          bestB = j - bestLen;
        }
      }
    }
    prev = cur;
  }
  if (bestLen === 0) return 0;
  return (
    bestLen +
    matchingCharacters(a.slice(0, bestA), b.slice(0, bestB)) +
    matchingCharacters(a.slice(bestA + bestLen), b.slice(bestB + bestLen))
  );
}

export function similarity(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchingCharacters(a, b)) / total;
}

/** The best `n` candidates whose similarity to `word` is at least `cutoff`, best first. */
export function closeMatches(word: string, candidates: Iterable<string>, n = 3, cutoff = 0.6): string[] {
  const scored: Array<{ c: string; s: number }> = [];
  for (const c of candidates) {
    const s = similarity(word, c);
    if (s >= cutoff) scored.push({ c, s });
  }
  // Highest score first; difflib breaks ties by the larger string, which rarely matters here.
  scored.sort((x, y) => y.s - x.s || (y.c > x.c ? 1 : y.c < x.c ? -1 : 0));
  return scored.slice(0, n).map((x) => x.c);
}
