// "Did you mean" for misspelled names (TIERBENCH_PROFLE → TIERBENCH_PROFILE, h2 → h2b): the
// closest candidate by edit distance, if it is close enough to be a typo rather than another word.

export const editDistance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]
}

/** The candidate closest to `name` (case-insensitive) within max(2, ⌊length/4⌋) edits, else null. */
export const didYouMean = (name: string, candidates: readonly string[]): string | null => {
  const limit = Math.max(2, Math.floor(name.length / 4))
  let best: string | null = null
  let bestD = Infinity
  for (const c of candidates) {
    // On a tie, a candidate the name is the start of wins (h2 → h2a, not h0).
    const d = editDistance(name.toLowerCase(), c.toLowerCase()) - (c.toLowerCase().startsWith(name.toLowerCase()) ? 0.5 : 0)
    if (d < bestD) {
      best = c
      bestD = d
    }
  }
  return bestD <= limit ? best : null
}
