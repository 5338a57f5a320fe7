import { createBackend, registeredBackendNames } from '../../../helpers/backends/backend-registry'
import { TINY_KV_BYTES_PER_TOKEN, describeBackendConformance } from './backend-conformance'

// Every registered backend passes the one conformance test, live against kvsim in its own metric
// dialect (tiny profile: 32 KiB of KV per token, 32-token blocks, as the harness passes them).
for (const name of registeredBackendNames())
  describeBackendConformance(name, () => createBackend(name, { kvBytesPerToken: TINY_KV_BYTES_PER_TOKEN, blockTokens: 32 }))

// LMCache's MP variant configures differently (sidecar) and reads lmcache_mp_* when present.
describeBackendConformance('lmcache (mp variant)', () => createBackend('lmcache', { variant: 'mp', kvBytesPerToken: TINY_KV_BYTES_PER_TOKEN, blockTokens: 32 }), { liveModes: [] })
