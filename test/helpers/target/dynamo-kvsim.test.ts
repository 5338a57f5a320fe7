import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { createDynamoTarget, type DynamoTarget } from '../../../helpers/target/dynamo'

// Integration: the same Dynamo driver in host-process mode with kvsim standing in for the worker
// (kvsim reads the same DYN_KVBM_* env as Dynamo). Restart, readiness and mode verification run
// for real against a real process on 127.0.0.1, including a B1 → B2 change verified by metrics.

const KVSIM = resolve(__dirname, '../../../bin/kvsim.mjs')

const environOf = (pid: number): Record<string, string> =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  )

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the Dynamo driver in host-process mode with kvsim as the worker', { timeout: 120_000 }, () => {
  let dir: string
  let target: DynamoTarget
  let cacheDir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-kvsim-'))
    cacheDir = join(dir, 'kvbm')
    // A caller environment that would leak a disk tier into B1 if the driver inherited it.
    vi.stubEnv('DYN_KVBM_DISK_CACHE_GB', '32')
    vi.stubEnv('DYN_KVBM_DISK_CACHE_DIR', cacheDir)
    const config = DynamoConfig.parse({
      launcher: 'host',
      ports: { frontend: 0, kvbm_metrics: 0, system: null },
      cache_dir: cacheDir,
      timeouts: { ready_s: 60, probe_stall_s: 15, stop_grace_s: 5, command_s: 30 },
      host_process: {
        worker_command: ['node', KVSIM, '--profile', 'tiny', '--port', '0', '--time-scale', '0.01'],
        frontend_command: null,
        announce_json: true,
      },
    })
    target = createDynamoTarget(config, {
      logsDir: join(dir, 'logs'),
      scratch: join(dir, 'scratch'),
      aliveCheckMs: 200,
      pollMs: 100,
      collectProvenance: false,
    })
  })

  afterAll(async () => {
    await target?.stop()
    vi.unstubAllEnvs()
    rmSync(dir, { recursive: true, force: true })
  })

  test('B1 starts kvsim with the disk tier forced off despite the caller env, and verifies it', async () => {
    const info = await target.applyMode({ id: 'B1' })
    expect(info.mode).toBe('B1')
    expect(info.modeVerified).toBe(true)
    expect(info.modeEvidence.join('\n')).toMatch(/B1: probe pair moved no disk counter/)
    expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(info.kvbmMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(info.cacheDir).toBeNull()
    expect(info.emulated).toBe(true)
    const env = environOf(info.pids[0])
    expect(env.DYN_KVBM_DISK_CACHE_GB).toBe('0')
    expect(env.DYN_KVBM_CPU_CACHE_GB).toBe('8')
    expect(env).not.toHaveProperty('DYN_KVBM_DISK_CACHE_DIR')
    expect(env.DYN_KVBM_METRICS).toBe('true')
  })

  test('a change to B2 restarts the worker (old pid gone), wipes the cache dir and verifies B2 by KVBM metrics', async () => {
    const oldPid = target.info().pids[0]
    const info = await target.applyMode({ id: 'B2' })
    expect(info.pids[0]).not.toBe(oldPid)
    expect(isAlive(oldPid)).toBe(false)
    expect(info.modeVerified).toBe(true)
    expect(info.modeEvidence.join('\n')).toMatch(/B2: .* exports kvbm_offload_blocks_h2d, kvbm_onboard_blocks_d2d, kvbm_matched_tokens/)
    expect(info.cacheDir).toBe(cacheDir)
    // The same /proc/<pid>/fd scan that guards B1 sees B2's unlinked disk-tier file.
    expect(info.modeEvidence.join('\n')).toContain(`B2: disk tier file open: ${cacheDir}/`)
    const env = environOf(info.pids[0])
    expect(env).toMatchObject({ DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_DISK_CACHE_DIR: cacheDir })
    expect(env).not.toHaveProperty('DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER')
    expect(info.provenance.engineYaml).toContain('connector_worker_class: DynamoKVBMConnectorWorker')
    expect(readFileSync(join(dir, 'scratch', 'engine.yaml'), 'utf8')).toBe(info.provenance.engineYaml)
  })

  test('B0 leaves no KVBM endpoint and the readiness report streams a completion', async () => {
    const info = await target.applyMode({ id: 'B0' })
    expect(info.modeVerified).toBe(true)
    expect(info.kvbmMetricsUrl).toBeNull()
    expect(environOf(info.pids[0])).not.toHaveProperty('DYN_KVBM_CPU_CACHE_GB')
    const report = await target.ready({ timeoutMs: 20_000 })
    expect(report.ready).toBe(true)
    expect(report.models.length).toBeGreaterThan(0)
    expect(report.probe.ok).toBe(true)
  })

  test('stop reaps the worker and the command journal records every mode change', async () => {
    const pid = target.info().pids[0]
    await target.stop()
    expect(isAlive(pid)).toBe(false)
    const journal = readFileSync(join(dir, 'logs', 'dynamo-commands.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; mode?: string })
    expect(journal.filter((e) => e.id === 'mode-verified').map((e) => e.mode)).toEqual(['B1', 'B2', 'B0'])
    expect(readFileSync(join(dir, 'logs', 'worker.log'), 'utf8')).toMatch(/"url":"http:\/\/127\.0\.0\.1:/)
  })
})

describe('stopping a host worker reaps every descendant', { timeout: 120_000 }, () => {
  test('a grandchild that left the process group (setsid, like an MPI-spawned executor) is gone after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-reap-'))
    const pidFile = join(dir, 'grandchild.pid')
    const target = createDynamoTarget(
      DynamoConfig.parse({
        launcher: 'host',
        ports: { frontend: 0, kvbm_metrics: 0, system: null },
        cache_dir: join(dir, 'kvbm'),
        timeouts: { ready_s: 60, probe_stall_s: 15, stop_grace_s: 5, command_s: 30 },
        host_process: {
          // sh forks a setsid sleep (its own session: a process-group kill misses it), then execs kvsim in place.
          worker_command: ['sh', '-c', `setsid sleep 300 & echo $! > ${pidFile}; exec node ${KVSIM} --profile tiny --port 0 --time-scale 0.01`],
          frontend_command: null,
          announce_json: true,
        },
      }),
      { logsDir: join(dir, 'logs'), scratch: join(dir, 'scratch'), aliveCheckMs: 200, pollMs: 100, collectProvenance: false },
    )
    try {
      await target.applyMode({ id: 'B0' })
      const grandchild = Number(readFileSync(pidFile, 'utf8').trim())
      expect(isAlive(grandchild)).toBe(true)
      await target.stop()
      // Reaped by pid (it is not our child, so it may linger as a zombie of its parent for an instant).
      for (let i = 0; i < 50 && isAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 100))
      expect(isAlive(grandchild)).toBe(false)
    } finally {
      await target.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
