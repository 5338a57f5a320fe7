import { createRng, seedFrom } from './seeded-random'
import type { RequestStream, Workload } from './workload-types'

// Mixed local inference (family D): a weighted blend of request streams (short chat, medium RAG,
// occasional long summarization). The choice per request is seeded; an exhausted component drops
// out and the others keep their relative weights.

export interface MixedComponent {
  weight: number
  workload: Workload
}

export interface MixedOptions {
  /** @default 'mixed' */
  name?: string
  components: readonly MixedComponent[]
  /** @default until every component is exhausted */
  requests?: number
  seed: number
}

export const mixed = (o: MixedOptions): Workload => {
  const name = o.name ?? 'mixed'
  const parts = o.components.map((c) => {
    if (c.workload.kind !== 'stream') throw new Error(`Expected stream components in ${name}, got a sessions workload (${c.workload.source.name})`)
    if (!(c.weight > 0)) throw new Error(`Expected a positive weight for ${c.workload.source.name} in ${name}, got ${c.weight}`)
    return { weight: c.weight, source: c.workload.source as RequestStream, done: false }
  })
  const rng = createRng(seedFrom(o.seed, name, 'mix'))
  const limit = o.requests ?? Number.POSITIVE_INFINITY
  let sent = 0
  return {
    kind: 'stream',
    source: {
      name,
      next: () => {
        if (sent >= limit) return null
        for (;;) {
          const live = parts.filter((p) => !p.done)
          if (live.length === 0) return null
          const pick = live[rng.weighted(live.map((p) => p.weight))]
          const item = pick.source.next()
          if (item) {
            sent++
            return item
          }
          pick.done = true
        }
      },
    },
  }
}
