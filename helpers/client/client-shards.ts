import { availableParallelism } from 'node:os'

// How many event loops read the suites' streams. One loop reading hundreds of sockets in a row is
// what limits timestamp accuracy once it is busy (docs/client-and-load.md); a host with spare cores
// (a DGX Spark has 20) spreads the streams over worker-thread shards, each stamping its own sockets
// the same way. A 2- or 4-core box keeps one loop: the server needs the other cores, and shards
// sharing one core with the main thread only add hand-off cost.
// TIERBENCH_CLIENT_SHARDS=<n> overrides (1 = one event loop).
export const MAX_DEFAULT_SHARDS = 8

export const clientShards = (cpus: number = availableParallelism(), env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.TIERBENCH_CLIENT_SHARDS
  if (raw !== undefined && raw !== '') {
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new TypeError(`Expected TIERBENCH_CLIENT_SHARDS to be an integer in [1, 64], got ${JSON.stringify(raw)}`)
    return n
  }
  // A quarter of the cores: the serving stack, the main thread and the telemetry keep the rest.
  return cpus >= 8 ? Math.min(MAX_DEFAULT_SHARDS, Math.floor(cpus / 4)) : 1
}
