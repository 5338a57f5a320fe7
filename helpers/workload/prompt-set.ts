import type { Rng } from './seeded-random'

// The prior harness's prompt sets: `short` picks from {512 … 2048} within the short range, `long`
// from {8192 … 32768} within the long range (an integer uniform in the range when no menu size
// fits), `mixed` is 50/50. Its default long range violates an 8192-token engine; preflight catches it.

export type PromptSet = 'short' | 'long' | 'mixed'

export const SHORT_MENU = [512, 768, 1024, 1536, 2048] as const
export const LONG_MENU = [8192, 12288, 16384, 24576, 32768] as const

export interface PromptSetRanges {
  /** @default [512, 2048] */
  shortRange?: readonly [number, number]
  /** @default [8192, 32768] */
  longRange?: readonly [number, number]
}

const pickIn = (rng: Rng, menu: readonly number[], [lo, hi]: readonly [number, number]): number => {
  if (!(lo >= 1 && hi >= lo)) throw new Error(`Expected a token range lo:hi with 1 <= lo <= hi, got ${lo}:${hi}`)
  const inRange = menu.filter((n) => n >= lo && n <= hi)
  return inRange.length > 0 ? rng.pick(inRange) : rng.int(lo, hi)
}

export const promptSetTokens = (set: PromptSet, rng: Rng, r: PromptSetRanges = {}): number => {
  const short = () => pickIn(rng, SHORT_MENU, r.shortRange ?? [512, 2048])
  const long = () => pickIn(rng, LONG_MENU, r.longRange ?? [8192, 32768])
  if (set === 'short') return short()
  if (set === 'long') return long()
  return rng.next() < 0.5 ? short() : long()
}
