import { type Collector, type CollectorOptions, type Sample } from './collector'
import { createPollingCollector } from './polling-collector'

// Load-generator occupancy, so a verdict can show the client was not the bottleneck.
export interface PoolStats {
  queued: number
  pending: number
  running: number
}
export interface ClientPoolSample extends Sample, PoolStats {}

export const createClientPoolCollector = (
  opts: CollectorOptions<ClientPoolSample> & { pool: (() => PoolStats) | null },
): Collector<ClientPoolSample> =>
  createPollingCollector<PoolStats, ClientPoolSample>(
    {
      name: 'client_pool',
      snapshotKeys: ['queued', 'pending', 'running'],
      available: async () => (opts.pool ? { available: true } : { available: false, reason: 'Expected a pool stats provider, got none' }),
      read: async () => {
        const p = opts.pool!()
        return { queued: p.queued, pending: p.pending, running: p.running }
      },
      toSample: (_p, c, _s, base) => ({ ...base, ...c }),
      toSnapshot: (c) => ({ ...c }),
    },
    opts,
  )
