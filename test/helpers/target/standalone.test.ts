import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { createVllmOffloadBackend } from '../../../helpers/backends/vllm-offload'
import { type KvModeId, kvModeEnv } from '../../../helpers/config/kv-mode'
import { type HostProcess, type HostProcessOptions, launchHostProcess } from '../../../helpers/target/host-process'
import { waitReady } from '../../../helpers/target/readiness'
import { type StandaloneDeps, createStandaloneTarget, freeLoopbackPort } from '../../../helpers/target/standalone'
import type { Target } from '../../../helpers/target/target'

// The standalone launcher's lifecycle, with `vllm serve` replaced by a recording launcher: it
// records the exact argv/env the driver asked for, reads the mode back from the command line
// (the --kv-transfer-config spec), and starts a real kvsim in that mode speaking the vllm-offload
// metric dialect on 127.0.0.1. Docker commands are recorded, never run (no daemon here).

const ROOT = resolve(import.meta.dirname, '../../..')
const KVSIM = join(ROOT, 'bin/kvsim.mjs')

const modeFromArgv = (argv: string[]): KvModeId => {
  const i = argv.indexOf('--kv-transfer-config')
  if (i < 0) return 'B0'
  const spec = JSON.parse(argv[i + 1]!).kv_connector_extra_config.spec_name
  return spec === 'CPUOffloadingSpec' ? 'B1' : spec === 'TieringOffloadingSpec' ? 'B2' : (() => { throw new Error(`Expected a known spec_name, got ${spec}`) })()
}

interface Recorder {
  deps: StandaloneDeps
  launched: { argv: string[]; env: Record<string, string>; mode: KvModeId; proc: HostProcess }[]
  execs: string[][]
}

const recorder = (dir: string, metricsPorts: Map<number, number>): Recorder => {
  const r: Recorder = { launched: [], execs: [], deps: null as unknown as StandaloneDeps }
  r.deps = {
    launch: (o: HostProcessOptions) => {
      const serve = o.argv.indexOf('serve')
      const argv = o.argv.slice(serve - 1)
      const mode = modeFromArgv(argv)
      const port = Number(argv[argv.indexOf('--port') + 1])
      const env = { ...o.env }
      for (const [k, v] of Object.entries(kvModeEnv({ id: mode }, { cacheDir: join(dir, 'kvsim-g3'), metricsPort: 0 }))) if (v !== undefined) env[k] = v
      const proc = launchHostProcess({
        argv: [process.execPath, KVSIM, '--profile', 'tiny', '--port', String(port), '--kvbm-metrics-port', String(metricsPorts.get(port)), '--backend', 'vllm-offload', '--time-scale', '0.01', '--cache-dir', join(dir, 'kvsim-g3'), '--adapters-dir', join(dir, 'adapters')],
        env,
        logFile: o.logFile,
      })
      r.launched.push({ argv: o.argv, env: o.env, mode, proc })
      return proc
    },
    exec: async (argv) => {
      r.execs.push(argv)
      return { exitCode: 0, stdout: '', stderr: '' }
    },
    ready: (o) => waitReady({ ...o, model: 'kvsim/tiny', timeoutMs: 60_000 }),
    freePort: async () => {
      const p = await freeLoopbackPort()
      metricsPorts.set(p, await freeLoopbackPort())
      return p
    },
  }
  return r
}

let target: Target | null = null
let dir: string | null = null
afterEach(async () => {
  await target?.stop()
  target = null
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = null
})

const make = (runtime: 'host' | 'docker') => {
  dir = mkdtempSync(join(os.tmpdir(), 'tierbench-standalone-'))
  const metricsPorts = new Map<number, number>()
  const rec = recorder(dir, metricsPorts)
  target = createStandaloneTarget(
    {
      engine: 'vllm',
      runtime,
      image: runtime === 'docker' ? 'vllm/vllm-openai:v0.33.0' : undefined,
      model: 'kvsim/tiny',
      backend: createVllmOffloadBackend({ kvBytesPerToken: 32768 }),
      scratchDir: join(dir, 'scratch'),
      logsDir: join(dir, 'logs'),
      metricsUrl: (p) => `http://127.0.0.1:${metricsPorts.get(p)}/metrics`,
      stopGraceMs: 5000,
    },
    rec.deps,
  )
  return { rec, target }
}

describe('standalone vLLM launcher lifecycle', () => {
  it('restarts per mode with a fresh wiped cache dir, verifies the mode from the backend metrics, records provenance and reaps the old server', async () => {
    const { rec, target: t } = make('host')
    const b1 = await t.applyMode({ id: 'B1', cpuCacheGb: 1 })
    expect(rec.launched.map((l) => l.mode)).toEqual(['B1'])
    expect(b1.modeVerified, b1.modeEvidence.join('; ')).toBe(true)
    expect(b1.modeEvidence.join(' ')).toMatch(/vllm-offload metrics endpoint exposes/)
    // B1 gets a dir too (the only disk path of the launch), checked to be left unopened.
    expect(b1.cacheDir).toMatch(/kvcache-B1-1$/)
    expect(b1.modeEvidence.join(' ')).toContain(`no disk tier file held open under ${b1.cacheDir}`)
    expect(b1.provenance).toMatchObject({ launcher: 'standalone', engine: 'vllm', backend: 'vllm-offload', tier_plan: { host_tier_bytes: 1e9 } })
    expect((b1.provenance.commands as string[])[0]).toMatch(/^(\/usr\/bin\/setpriv --pdeathsig SIGTERM -- )?vllm serve kvsim\/tiny --host 127\.0\.0\.1 --port \d+ .*CPUOffloadingSpec/)
    expect(rec.launched[0]!.env.VLLM_USE_SIMPLE_KV_OFFLOAD).toBeUndefined()

    const b2 = await t.applyMode({ id: 'B2', cpuCacheGb: 1, diskCacheGb: 2 })
    expect(rec.launched.map((l) => l.mode)).toEqual(['B1', 'B2'])
    expect(rec.launched[0]!.proc.alive()).toBe(false)
    expect(b2.modeVerified, b2.modeEvidence.join('; ')).toBe(true)
    expect(b2.cacheDir && existsSync(b2.cacheDir)).toBe(true)
    expect(b2.modeEvidence.join(' ')).toMatch(/no capacity limit/)
    expect(rec.launched[1]!.env.PYTHONHASHSEED).toBe('0')
    const cache = b2.cacheDir!
    await t.stop()
    target = null
    expect(rec.launched[1]!.proc.alive()).toBe(false)
    expect(existsSync(cache)).toBe(false)
  })

  it("refuses B2' with the backend's reason and launches nothing", async () => {
    const { rec, target: t } = make('host')
    await expect(t.applyMode({ id: 'B2p' })).rejects.toThrow(/no disk admission filter/)
    expect(rec.launched).toEqual([])
  })

  it('in docker: launches `docker run` with the exact container name and removes that container on stop', async () => {
    const { rec, target: t } = make('docker')
    await t.applyMode({ id: 'B0' })
    const launched = rec.launched[0]!.argv
    // The docker client runs under the parent-death signal (it forwards SIGTERM to the container).
    expect(launched.slice(0, launched.indexOf('docker'))).toEqual(existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGTERM', '--'] : [])
    const argv = launched.slice(launched.indexOf('docker'))
    expect(argv.slice(0, 4)).toEqual(['docker', 'run', '--rm', '--init'])
    const name = argv[argv.indexOf('--name') + 1]!
    expect(name).toMatch(/^tierbench-vllm-b0-\d+-1$/)
    expect(argv).toContain('vllm/vllm-openai:v0.33.0')
    await t.stop()
    target = null
    expect(rec.execs).toEqual([['docker', 'rm', '-f', name]])
  })
})

describe('standalone server lifetime', () => {
  it('the server dies with its parent even when the parent is SIGKILLed (no exit hook runs)', async () => {
    const d = mkdtempSync(join(os.tmpdir(), 'tierbench-standalone-orphan-'))
    const script = join(d, 'start.mts')
    const mod = join(ROOT, 'helpers/target/standalone.ts')
    const backendMod = join(ROOT, 'helpers/backends/vllm-offload.ts')
    const fake = join(ROOT, 'test/fixtures/fake-engines/fake-engine.mjs')
    // The parent picks the tier-metrics port itself: it is the only process that knows it.
    writeFileSync(
      script,
      `import { createStandaloneTarget, freeLoopbackPort } from ${JSON.stringify(mod)}\n` +
        `import { createVllmOffloadBackend } from ${JSON.stringify(backendMod)}\n` +
        `const tier = await freeLoopbackPort()\n` +
        `const t = createStandaloneTarget({ engine: 'vllm', runtime: 'host', vllmBin: ${JSON.stringify(fake)}, model: 'kvsim/tiny', backend: createVllmOffloadBackend({}), metricsPort: tier, extraArgs: ['--kvsim-tier-metrics-port', String(tier)], scratchDir: ${JSON.stringify(join(d, 'scratch'))}, logsDir: ${JSON.stringify(join(d, 'logs'))}, readyTimeoutMs: 90000 })\n` +
        `const i = await t.start()\nconsole.log(JSON.stringify({ pid: i.pids[0] }))\nsetInterval(() => {}, 1000)\n`,
    )
    const parent = execa(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, reject: false, stdout: 'pipe', stderr: 'pipe' })
    const alive = (p: number) => {
      try {
        process.kill(p, 0)
        return true
      } catch {
        return false
      }
    }
    try {
      const pid = await new Promise<number>((res, rej) => {
        parent.stdout!.on('data', (b: Buffer) => {
          const m = /\{"pid":(\d+)\}/.exec(b.toString())
          if (m) res(Number(m[1]))
        })
        parent.once('exit', () => rej(new Error('Expected the parent to print the server pid, got exit')))
      })
      expect(alive(pid)).toBe(true)
      parent.kill('SIGKILL')
      await parent
      const deadline = Date.now() + 15_000
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(alive(pid), `server pid ${pid} outlived its SIGKILLed parent`).toBe(false)
    } finally {
      parent.kill('SIGKILL')
      rmSync(d, { recursive: true, force: true })
    }
  }, 120_000)
})
