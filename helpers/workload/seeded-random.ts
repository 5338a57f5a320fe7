// Deterministic randomness for workloads: every choice derives from (seed, label, index), so a
// request can be rebuilt on its own and two runs with one seed send identical bytes.

/** 32-bit FNV-1a over the parts, joined with a separator that cannot occur in numbers. */
export const seedFrom = (...parts: Array<string | number>): number => {
  let h = 0x811c9dc5
  const s = parts.join('\u0001')
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  /** Index chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number
}

/** mulberry32: tiny, fast, and good enough to pick prompt sizes and words. */
export const createRng = (seed: number): Rng => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('Expected a non-empty list to pick from, got []')
      return items[Math.floor(next() * items.length)]
    },
    weighted: (weights) => {
      const total = weights.reduce((s, w) => s + w, 0)
      if (!(total > 0)) throw new Error(`Expected positive weights, got [${weights.join(', ')}]`)
      let r = next() * total
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i]
        if (r < 0) return i
      }
      return weights.length - 1
    },
  }
}
