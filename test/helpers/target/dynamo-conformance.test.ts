import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { createDynamoTarget } from '../../../helpers/target/dynamo'
import { testTarget } from './target-conformance'

// The shared Target conformance suite, run against the Dynamo driver in host-process mode with kvsim
// as the worker: every mode restarts a real process, waits for readiness and verifies the mode.

const dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-conformance-'))

testTarget({
  name: 'dynamo (launcher host, kvsim as the worker)',
  modes: ['B0', 'B1', 'B2', 'B2p', 'B3'],
  ownsProcesses: true,
  create: () =>
    createDynamoTarget(
      DynamoConfig.parse({
        launcher: 'host',
        ports: { frontend: 0, kvbm_metrics: 0, system: null },
        cache_dir: join(dir, 'kvbm'),
        timeouts: { ready_s: 60, probe_stall_s: 15, stop_grace_s: 5, command_s: 30 },
        host_process: {
          worker_command: ['node', resolve(__dirname, '../../../bin/kvsim.mjs'), '--profile', 'tiny', '--port', '0', '--time-scale', '0.01'],
          frontend_command: null,
          announce_json: true,
        },
      }),
      { logsDir: join(dir, 'logs'), scratch: join(dir, 'scratch'), aliveCheckMs: 200, pollMs: 100, collectProvenance: false },
    ),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
})
