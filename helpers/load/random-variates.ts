import type { Random } from '../analysis/seeded-random'

// Unit-mean inter-arrival gaps for the arrival distributions. Mean 1 so a schedule is built in
// "operational time" and mapped onto any (ramping) rate curve afterwards.

export const exponential = (rand: Random): number => -Math.log(1 - rand())

export const standardNormal = (rand: Random): number => {
  // Box-Muller; 1 - u keeps log away from 0.
  const u = 1 - rand()
  const v = rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

// Marsaglia-Tsang for shape >= 1; the shape < 1 boost uses Gamma(k+1) * U^(1/k).
export const gamma = (rand: Random, shape: number): number => {
  if (shape < 1) return gamma(rand, shape + 1) * Math.pow(1 - rand(), 1 / shape)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = standardNormal(rand)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rand()
    if (u < 1 - 0.0331 * x * x * x * x) return d * v
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** Gamma gap with mean 1 (scale 1/shape); shape 1 is exponential, shape < 1 is burstier. */
export const unitGammaGap = (rand: Random, shape: number): number => gamma(rand, shape) / shape
