import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { loadRunConfig } from '../../../helpers/config/load-run-config'
import { createTargetFromSettings } from '../../../helpers/suite/create-target'
import type { RunContext } from '../../../helpers/suite/run-context'
import { resolveSuiteSettings } from '../../../helpers/suite/suite-settings'
import { freeLoopbackPort } from '../../../helpers/target/standalone'
import type { Target } from '../../../helpers/target/target'

// Configuration → driver. The vllm case runs for real: TIERBENCH_VLLM_BIN points at a fake `vllm`
// (test/fixtures/fake-engines/fake-engine.mjs) that records its argv, reads the mode from the
// --kv-transfer-config as vLLM would, and runs kvsim in that mode in its own process.

const ROOT = resolve(__dirname, '../../..')
const FAKE = join(ROOT, 'test/fixtures/fake-engines/fake-engine.mjs')

const settingsFor = (env: Record<string, string>) => resolveSuiteSettings({ config: loadRunConfig({ cwd: ROOT, env }) } as unknown as RunContext)

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

let dir: string | null = null
let target: Target | null = null
afterEach(async () => {
  await target?.stop()
  target = null
  vi.unstubAllEnvs()
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = null
})

describe('createTargetFromSettings', () => {
  test('each target kind returns its own driver; vllm and sglang carry the tiering backend TIERBENCH_BACKEND names', () => {
    const dirs = { scratchDir: '/nonexistent/scratch', logsDir: '/nonexistent/logs' }
    const kindOf = (env: Record<string, string>) => createTargetFromSettings(settingsFor(env), dirs).kind
    expect(kindOf({})).toBe('emulator')
    expect(kindOf({ TIERBENCH_TARGET: 'external', TIERBENCH_BASE_URL: 'http://127.0.0.1:9', TIERBENCH_MODEL: 'm' })).toBe('external')
    expect(kindOf({ TIERBENCH_TARGET: 'llamacpp', TIERBENCH_LLAMA_SERVER_BIN: FAKE, TIERBENCH_LLAMA_MODEL: FAKE })).toBe('llamacpp')
    expect(kindOf({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm' })).toBe('vllm')
    expect(kindOf({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm' })).toBe('sglang')
    expect(settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm' }).tierBackend.name).toBe('vllm-offload')
    expect(settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm', TIERBENCH_BACKEND: 'lmcache' }).tierBackend.name).toBe('lmcache')
    expect(settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm', TIERBENCH_BACKEND: 'kvbm' }).tierBackend.name).toBe('kvbm')
    expect(settingsFor({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm' }).tierBackend.name).toBe('sglang-hicache')
  })

  test(
    'TIERBENCH_TARGET=vllm: a B1 → B2 change restarts `vllm serve` with the exact pinned command line, a fresh wiped cache dir, verified modes and reaped processes',
    { timeout: 180_000 },
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'tierbench-create-vllm-'))
      const log = join(dir, 'fake.jsonl')
      vi.stubEnv('TIERBENCH_FAKE_LOG', log)
      const [port, tierPort] = [await freeLoopbackPort(), await freeLoopbackPort()]
      // The fake serves the vllm-offload dialect on kvsim's separate tier-metrics port.
      writeFileSync(
        join(dir, 'run.yaml'),
        `target:\n  port: ${port}\n  metrics_port: ${tierPort}\n  extra_args: [--kvsim-tier-metrics-port, "${tierPort}"]\n  ready_timeout_s: 90\n  stop_grace_s: 5\n`,
      )
      const s = settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_VLLM_BIN: FAKE, TIERBENCH_MODEL: 'kvsim/tiny', TIERBENCH_BACKEND: 'vllm-offload', TIERBENCH_CONFIG: join(dir, 'run.yaml') })
      const scratch = join(dir, 'scratch')
      target = createTargetFromSettings(s, { scratchDir: scratch, logsDir: join(dir, 'logs') })
      const launched = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; pid: number })

      const b1 = await target.applyMode(s.modes.B1)
      const head = ['serve', 'kvsim/tiny', '--host', '127.0.0.1', '--port', String(port), '--enable-prefix-caching', '--enable-prompt-tokens-details', '--kv-transfer-config']
      const tail = ['--kvsim-tier-metrics-port', String(tierPort)]
      const b1Config = '{"kv_connector":"OffloadingConnector","kv_role":"kv_both","kv_connector_extra_config":{"spec_name":"CPUOffloadingSpec","cpu_bytes_to_use":8000000000,"eviction_policy":"lru"}}'
      expect(launched().map((l) => l.argv)).toEqual([[...head, b1Config, ...tail]])
      const dieWithParent = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'SIGTERM', '--'] : []
      expect(b1.provenance.commands).toEqual([[...dieWithParent, FAKE, ...head, `'${b1Config}'`, ...tail].join(' ')])
      expect(b1).toMatchObject({ kind: 'vllm', mode: 'B1', modeVerified: true, cacheDir: join(scratch, 'standalone-vllm', 'kvcache-B1-1'), baseUrl: `http://127.0.0.1:${port}`, kvbmMetricsUrl: `http://127.0.0.1:${tierPort}/metrics` })
      expect(b1.pids).toEqual([launched()[0]!.pid])
      // The stand-in is kvsim: its responses say so, and the target labels the run emulated.
      expect(b1.emulated).toBe(true)

      const b2 = await target.applyMode(s.modes.B2)
      const b2Dir = join(scratch, 'standalone-vllm', 'kvcache-B2-2')
      const b2Config = `{"kv_connector":"OffloadingConnector","kv_role":"kv_both","kv_connector_extra_config":{"spec_name":"TieringOffloadingSpec","cpu_bytes_to_use":8000000000,"eviction_policy":"lru","secondary_tiers":[{"type":"fs","root_dir":"${b2Dir}","n_read_threads":16,"n_write_threads":16}]}}`
      expect(launched().map((l) => l.argv)).toEqual([[...head, b1Config, ...tail], [...head, b2Config, ...tail]])
      expect(isAlive(b1.pids[0]!)).toBe(false)
      expect(b2).toMatchObject({ mode: 'B2', modeVerified: true, cacheDir: b2Dir })
      expect(b2.modeEvidence.join(' ')).toMatch(/vllm-offload metrics endpoint exposes/)
      expect(readFileSync(`/proc/${b2.pids[0]}/environ`, 'utf8').split('\0')).toContain('PYTHONHASHSEED=0')
      writeFileSync(join(b2Dir, 'left-by-b2'), 'x')

      // The same mode again is still a restart, into a new dir; the previous one is wiped.
      const again = await target.applyMode(s.modes.B2)
      expect(again.cacheDir).toBe(join(scratch, 'standalone-vllm', 'kvcache-B2-3'))
      expect(existsSync(b2Dir)).toBe(false)
      expect(isAlive(b2.pids[0]!)).toBe(false)

      await target.stop()
      target = null
      expect(isAlive(again.pids[0]!)).toBe(false)
      expect(existsSync(again.cacheDir!)).toBe(false)
    },
  )

  test('a CLI path that does not exist is refused at once, naming the field and the variable', () => {
    const s = settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm', TIERBENCH_VLLM_BIN: '/nonexistent/bin/vllm' })
    expect(() => createTargetFromSettings(s, { scratchDir: '/nonexistent/s', logsDir: '/nonexistent/l' })).toThrow(
      'Expected target.binary (TIERBENCH_VLLM_BIN) to name an existing file, got /nonexistent/bin/vllm',
    )
  })

  test('a server that exits while loading ends the wait at once with its exit status and log', { timeout: 120_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'tierbench-create-vllm-'))
    // The fake refuses the LMCache connector (it only stands in for the OffloadingConnector and KVBM), as a server refusing a flag would.
    const s = settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_VLLM_BIN: FAKE, TIERBENCH_MODEL: 'kvsim/tiny', TIERBENCH_BACKEND: 'lmcache' })
    target = createTargetFromSettings(s, { scratchDir: join(dir, 'scratch'), logsDir: join(dir, 'logs') })
    const t0 = Date.now()
    await expect(target.applyMode(s.modes.B1)).rejects.toThrow(/Expected vllm in B1 to become ready at .*, got the server exited \(code 2, .*fake-engine: unsupported --kv-transfer-config/s)
    // ready_timeout_s is 900: only the exit can have ended the wait this early.
    expect(Date.now() - t0).toBeLessThan(60_000)
  })

  test("TIERBENCH_TARGET=vllm: B2' is not applicable with vllm-offload (the backend's reason), and nothing is launched", async () => {
    dir = mkdtempSync(join(tmpdir(), 'tierbench-create-vllm-'))
    const log = join(dir, 'fake.jsonl')
    vi.stubEnv('TIERBENCH_FAKE_LOG', log)
    const s = settingsFor({ TIERBENCH_TARGET: 'vllm', TIERBENCH_VLLM_BIN: FAKE, TIERBENCH_MODEL: 'kvsim/tiny' })
    target = createTargetFromSettings(s, { scratchDir: join(dir, 'scratch'), logsDir: join(dir, 'logs') })
    const err = await target.applyMode(s.modes.B2p).catch((e: unknown) => e as Error & { code?: string })
    expect(err).toMatchObject({ code: 'MODE_NOT_APPLICABLE' })
    expect((err as Error).message).toMatch(/B2p not applicable on this target \(vllm with vllm-offload\): the fs tier has no disk admission filter/)
    expect(existsSync(log)).toBe(false)
  })
})
