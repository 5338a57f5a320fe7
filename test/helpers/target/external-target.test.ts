import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEmulatorTarget } from '../../../helpers/target/emulator-target'
import { createExternalTarget } from '../../../helpers/target/external-target'
import type { Target } from '../../../helpers/target/target'
import { testTarget } from './target-conformance'

// The external driver attaches to a server it did not start: here a real kvsim in B2, declared B2.
const root = mkdtempSync(join(tmpdir(), 'tb-exttarget-'))
let stack: Target | null = null

testTarget({
  name: 'external (attached to a kvsim in B2)',
  create: async () => {
    stack = createEmulatorTarget({ profile: 'tiny', timeScale: 0.05, scratchDir: join(root, 'scratch'), logsDir: join(root, 'logs') })
    const s = await stack.applyMode({ id: 'B2', cpuCacheOverrideNumBlocks: 64, diskCacheOverrideNumBlocks: 128 })
    return createExternalTarget({
      baseUrl: s.baseUrl,
      declaredMode: 'B2',
      healthStyle: 'dynamo',
      kvbmMetricsUrl: s.kvbmMetricsUrl,
      pids: s.pids,
      cacheDir: s.cacheDir,
    })
  },
  modes: ['B2'],
  refusedMode: 'B1',
  ownsProcesses: false,
  cleanup: async () => {
    await stack?.stop()
    rmSync(root, { recursive: true, force: true })
  },
})
