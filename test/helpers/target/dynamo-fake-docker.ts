import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { KvModeId } from '../../../helpers/config/kv-mode'
import { emptyTierCounters } from '../../../helpers/backends/tier-counters'
import type { BackendLaunchConfig, BackendName, EngineName, TieringBackend } from '../../../helpers/backends/tiering-backend'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { createDynamoTarget, type DynamoTarget, type DynamoTargetOptions } from '../../../helpers/target/dynamo'
import type { DynamoDouble } from './dynamo-http-double'

// Shared by the docker-launcher tests: a Dynamo target wired to the recording fake `docker`
// (test/fixtures/fake-bin), the HTTP double for frontend and KVBM endpoint, and helpers that read
// back the exact worker command line and env from the fake's log.

export const FAKE_BIN = resolve(__dirname, '../../fixtures/fake-bin')
export const CANNED = resolve(FAKE_BIN, 'canned')
export const MODEL = 'nvidia/Llama-3.1-8B-Instruct-FP8'

export interface Rec {
  tool: string
  argv: string[]
  env: Record<string, string>
  stdin: string | null
}

export interface FakeDockerSetup {
  target: DynamoTarget
  records: () => Rec[]
  dir: string
  cleanup: () => void
}

/** A target on the fake docker. `env` knobs may use `{dir}` (this target's temp dir) and `{canned}`. */
export const makeFakeDockerTarget = (
  double: DynamoDouble,
  o: { env?: Record<string, string>; config?: Record<string, unknown>; options?: Partial<DynamoTargetOptions>; busyPorts?: number[] } = {},
): FakeDockerSetup => {
  const dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-test-'))
  const log = join(dir, 'fake.log')
  const config = DynamoConfig.parse({
    launcher: 'docker',
    ports: { frontend: double.frontendPort, kvbm_metrics: double.kvbmPort, system: 8081 },
    timeouts: { ready_s: 5, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 },
    ...o.config,
  })
  const busy = new Set(o.busyPorts ?? [])
  const knobs = Object.fromEntries(Object.entries(o.env ?? {}).map(([k, v]) => [k, v.replace('{dir}', dir).replace('{canned}', CANNED)]))
  const target = createDynamoTarget(config, {
    logsDir: join(dir, 'logs'),
    scratch: join(dir, 'scratch'),
    home: '/home/spark',
    aliveCheckMs: 0,
    pollMs: 50,
    livenessPollMs: 100,
    // The double holds the frontend and KVBM ports for real; only ports a test names count as busy.
    portIsFree: async (port) => !busy.has(port),
    commandEnv: { PATH: `${FAKE_BIN}:${process.env.PATH}`, TIERBENCH_FAKE_LOG: log, ...knobs },
    ...o.options,
  })
  const records = (): Rec[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Rec)
      : []
  return { target, records, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Splits a shell command line the way driver's shQuote wrote it (bare words and '…' with '\'' escapes). */
export const shellWords = (line: string): string[] => {
  const words: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === "'") {
      const end = line.indexOf("'", i + 1)
      cur += line.slice(i + 1, end)
      i = end
      inWord = true
    } else if (ch === '\\' && line[i + 1] === "'") {
      cur += "'"
      i++
      inWord = true
    } else if (ch === ' ') {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += ch
      inWord = true
    }
  }
  if (inWord) words.push(cur)
  return words
}

/** The `docker exec -d … bash -lc '…'` that started a process: its -e pairs, its `env -u` list, the command. */
export const detachedStart = (records: Rec[], what: RegExp) => {
  const starts = records.filter((r) => r.tool === 'docker' && r.argv[0] === 'exec' && r.argv[1] === '-d' && what.test(r.argv.at(-1) ?? ''))
  const rec = starts.at(-1)
  if (!rec) throw new Error(`Expected a start matching ${what} in the fake docker log, got none`)
  const set: Record<string, string> = {}
  let i = 2
  for (; rec.argv[i] === '-e'; i += 2) {
    const [k, ...v] = rec.argv[i + 1].split('=')
    set[k] = v.join('=')
  }
  const body = rec.argv.at(-1) as string
  const m = /exec env ((?:-u \S+ )*)(.*) >> \S+ 2>&1$/.exec(body)
  const unset = [...(m?.[1] ?? '').matchAll(/-u (\S+)/g)].map((x) => x[1])
  const command = m ? shellWords(m[2]) : []
  return { rec, set, unset, command, container: rec.argv[i], shell: rec.argv.slice(i + 1, i + 3), body, count: starts.length }
}

export const workerStart = (records: Rec[]) => detachedStart(records, /python3 -m dynamo\.(trtllm|vllm|sglang)/)
export const frontendStart = (records: Rec[]) => detachedStart(records, /python3 -m dynamo\.frontend/)

/**
 * A stand-in TieringBackend for tests, until the real helpers/backends/<name>.ts (engineer #14)
 * are merged: it pins how the driver places a backend's flags, env, kv-transfer-config and files,
 * not what the backend itself chooses.
 */
export const standInBackend = (
  name: BackendName,
  engines: EngineName[],
  build: (mode: KvModeId, ctx: { cacheDir: string }) => Partial<BackendLaunchConfig>,
  unsupported: Partial<Record<KvModeId, string>> = {},
): TieringBackend => ({
  name,
  engines,
  support: (mode) => (unsupported[mode] ? { supported: false, reason: unsupported[mode] } : { supported: true }),
  configure: (mode, _plan, ctx) => ({ env: {}, args: [], kvTransferConfig: null, engineYaml: null, files: [], ...build(mode, ctx) }),
  verification: (mode) => ({ requiredMetricFamilies: [], diskDirHeldOpen: mode === 'B1' ? false : null, oDirect: null }),
  normalise: () => emptyTierCounters(),
  requestCachedTokens: () => null,
})

/** HiCache as the SGLang docs launch it (tiering-backends.md §9), for the driver's placement tests. */
export const hicacheStandIn = standInBackend('sglang-hicache', ['sglang'], (mode, ctx) =>
  mode === 'B0'
    ? {}
    : mode === 'B1'
    ? { args: ['--enable-hierarchical-cache', '--hicache-ratio', '2', '--hicache-write-policy', 'write_through'] }
    : {
        args: ['--enable-hierarchical-cache', '--hicache-ratio', '2', '--hicache-write-policy', 'write_through', '--hicache-storage-backend', 'file'],
        env: { SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR: ctx.cacheDir },
      },
)
