import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type ResultPromise, execa } from 'execa'
import { KVBM_ENV_NAMES, type KvMode, kvModeEnv } from '../config/kv-mode'
import { PROFILES } from '../../emulator/profiles'
import { kvsimTierEnv } from '../tiers/kvsim-tier-env'
import { type EffectiveTiers, TierPlan } from '../tiers/tier-plan'
import { describeNotReady, waitReady } from './readiness'
import type { ApplyModeOptions, ReadinessReport, Target, TargetInfo } from './target'
import { verifyMode } from './verify-mode'
import { createBackend } from '../backends/backend-registry'
import type { BackendName } from '../backends/tiering-backend'

// The default target: kvsim as a real child process on 127.0.0.1. A mode change restarts it with
// the mode's DYN_KVBM_* env and a fresh cache dir, as the Dynamo driver restarts the worker.

export interface EmulatorTargetOptions {
  /** kvsim profile (`tiny`, `llama31-8b-fp8`, …). */
  profile: string
  /** Fault spec passed as --faults (overridable per applyMode). */
  faults?: string
  timeScale?: number
  ioScale?: number
  /** Cache dirs (G3) and adapters are created under this directory and removed on stop. */
  scratchDir: string
  /** kvsim's stderr goes to files here. */
  logsDir: string
  /** Extra environment for kvsim (e.g. KVSIM_LORA_COUNT). */
  env?: Record<string, string>
  /** @default 60_000 */
  startTimeoutMs?: number
  /** Metric dialect kvsim speaks (`--backend`). @default 'kvbm' */
  backend?: BackendName
  /** Device tier in blocks when a phase's tier plan names none (config target.tiers.g1_blocks). */
  g1Blocks?: number
}

/** The JSON line kvsim prints once ready. */
interface KvsimStartLine {
  url: string
  metricsUrl: string
  kvbmMetricsUrl: string | null
  pid: number
  profile: string
  mode: string
  model: string
  maxInputTokens: number
  g3?: { path: string | null; oDirect: boolean; fallbackReason: string | null }
  tiers?: { tokensPerBlock: number; kvBytesPerToken: number; g1Blocks: number; g2Blocks: number; g3Blocks: number; g3BlockBytesOnDisk: number }
  emulated: boolean
}

/** kvsim prints the tier capacities its engine runs with: those are its effective tiers. */
export const effectiveTiersFromKvsim = (t: NonNullable<KvsimStartLine['tiers']>): EffectiveTiers => ({
  block_tokens: t.tokensPerBlock,
  kv_bytes_per_token: t.kvBytesPerToken,
  device_kv_tokens: t.g1Blocks * t.tokensPerBlock,
  host_tier_tokens: t.g2Blocks * t.tokensPerBlock,
  disk_tier_tokens: t.g3Blocks * t.tokensPerBlock,
  source: { device_kv_tokens: 'engine-log', host_tier_tokens: 'engine-log', disk_tier_tokens: 'engine-log' },
})

const KVSIM_BIN = fileURLToPath(new URL('../../bin/kvsim.mjs', import.meta.url))

const readFirstLine = (stream: NodeJS.ReadableStream, timeoutMs: number, what: string): Promise<string> =>
  new Promise((resolveLine, reject) => {
    const rl = createInterface({ input: stream })
    const timer = setTimeout(() => {
      rl.close()
      reject(new Error(`Expected ${what} to print its start line within ${timeoutMs} ms, got nothing`))
    }, timeoutMs)
    rl.once('line', (line) => {
      clearTimeout(timer)
      // Resolve before close(): close() emits 'close' synchronously, which would reject first.
      resolveLine(line)
      rl.close()
    })
    rl.once('close', () => {
      clearTimeout(timer)
      reject(new Error(`Expected ${what} to print its start line, got end of output (see its log)`))
    })
  })

export const createEmulatorTarget = (opts: EmulatorTargetOptions): Target => {
  const scratch = resolve(opts.scratchDir)
  const adaptersDir = join(scratch, 'adapters')
  let child: ResultPromise | null = null
  // Only the mode-verification spec is needed here, so byte sizes do not matter.
  const tierBackend = createBackend(opts.backend ?? 'kvbm')
  let info: TargetInfo | null = null
  let starts = 0
  let currentCacheDir: string | null = null

  const stopChild = async () => {
    const c = child
    child = null
    if (!c) return
    c.kill('SIGTERM')
    const killer = setTimeout(() => c.kill('SIGKILL'), 5000)
    try {
      await c
    } catch {
      // A non-zero exit after SIGTERM/SIGKILL is expected here; the log file keeps the details.
    } finally {
      clearTimeout(killer)
    }
  }

  const wipe = (dir: string) => {
    // Guard: only ever delete inside our own scratch directory.
    if (!resolve(dir).startsWith(scratch + '/')) throw new Error(`Expected a cache dir inside ${scratch}, got ${dir}`)
    rmSync(dir, { recursive: true, force: true })
  }

  const launch = async (mode: KvMode, apply: ApplyModeOptions): Promise<TargetInfo> => {
    await stopChild()
    starts++
    mkdirSync(opts.logsDir, { recursive: true })
    const cacheDir = join(scratch, `kvcache-${mode.id}-${starts}`)
    if (currentCacheDir && apply.wipeCache !== false) wipe(currentCacheDir)
    wipe(cacheDir)
    mkdirSync(cacheDir, { recursive: true })
    currentCacheDir = cacheDir

    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !(KVBM_ENV_NAMES as readonly string[]).includes(k)) env[k] = v
    for (const [k, v] of Object.entries(kvModeEnv(mode, { cacheDir, metricsPort: 0 }))) if (v !== undefined) env[k] = v
    // The tier plan's device tier and the phase's engine limits in kvsim's own words.
    // An unknown profile is kvsim's to refuse (with its log named), not ours.
    Object.assign(env, kvsimTierEnv(apply.tiers ?? TierPlan.parse({}), PROFILES[opts.profile]?.tokensPerBlock ?? 32, opts.g1Blocks))
    if (apply.maxInputTokens !== undefined) env.KVSIM_MAX_INPUT_TOKENS = String(apply.maxInputTokens)
    Object.assign(env, opts.env, apply.env)

    const faults = apply.faults ?? opts.faults
    // A phase may need real-size G3 blocks (H4B: large SSD reads for fio's queueing to show).
    const ioScale = apply.realBlockIo ? 1 : apply.env?.KVSIM_IO_SCALE !== undefined ? Number(apply.env.KVSIM_IO_SCALE) : opts.ioScale
    const args = [
      KVSIM_BIN,
      '--profile', opts.profile,
      '--port', '0',
      '--kvbm-metrics-port', '0',
      ...(opts.backend && opts.backend !== 'kvbm' ? ['--backend', opts.backend] : []),
      '--cache-dir', cacheDir,
      '--adapters-dir', adaptersDir,
      '--exit-with-parent',
      ...(faults ? ['--faults', faults] : []),
      ...(opts.timeScale !== undefined ? ['--time-scale', String(opts.timeScale)] : []),
      ...(ioScale !== undefined ? ['--io-scale', String(ioScale)] : []),
    ]
    const logFile = join(opts.logsDir, `kvsim-${starts}-${mode.id}.log`)
    const c = execa(process.execPath, args, {
      env,
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: { file: logFile },
      cleanup: true,
      reject: false,
    })
    child = c
    let line: string
    try {
      line = await readFirstLine(c.stdout!, opts.startTimeoutMs ?? 60_000, 'kvsim')
    } catch (err) {
      await stopChild()
      throw new Error(`${(err as Error).message}; log: ${logFile}`)
    }
    let start: KvsimStartLine
    try {
      start = JSON.parse(line) as KvsimStartLine
    } catch {
      await stopChild()
      throw new Error(`Expected kvsim's start line to be JSON, got ${line.slice(0, 200)}; log: ${logFile}`)
    }
    // Drain further stdout so a chatty child can never block on a full pipe.
    c.stdout?.resume()

    const base: TargetInfo = {
      kind: 'emulator',
      baseUrl: start.url.replace(/\/$/, ''),
      model: start.model,
      frontendMetricsUrl: start.metricsUrl,
      kvbmMetricsUrl: start.kvbmMetricsUrl,
      emulated: true,
      mode: mode.id,
      modeVerified: false,
      modeEvidence: [],
      pids: [start.pid],
      cacheDir,
      maxInputTokens: start.maxInputTokens,
      provenance: {
        emulator: 'kvsim',
        profile: start.profile,
        reported_mode: start.mode,
        faults: faults ?? null,
        time_scale: opts.timeScale ?? 1,
        io_scale: ioScale ?? 1,
        g3: start.g3 ?? null,
        kv_mode: mode,
      },
      healthStyle: 'dynamo',
      logFiles: [logFile],
      tiers: start.tiers ? effectiveTiersFromKvsim(start.tiers) : null,
    }
    info = base
    if (start.mode !== mode.id)
      throw new Error(`Expected kvsim to run in mode ${mode.id}, got ${start.mode} (env: ${JSON.stringify(kvModeEnv(mode, { cacheDir, metricsPort: 0 }))})`)
    return base
  }

  const target: Target = {
    kind: 'emulator',
    async start() {
      return info ?? launch({ id: 'B0' }, {})
    },
    async applyMode(mode, apply = {}) {
      await launch(mode, apply)
      const readiness = await target.ready()
      if (!readiness.ready) throw new Error(`Expected kvsim to become ready in ${mode.id}, got ${describeNotReady(readiness)}`)
      const v = await verifyMode({ mode: mode.id, kvbmMetricsUrl: info!.kvbmMetricsUrl, pids: info!.pids, cacheDir: info!.cacheDir, backend: tierBackend })
      info = { ...info!, modeVerified: v.verified, modeEvidence: v.evidence }
      // A declared fault like no_kvbm_metrics makes verification fail on purpose; the suite's gates
      // decide what that means, so only an impossible mode is an error here.
      return info
    },
    async ready(o = {}): Promise<ReadinessReport> {
      if (!info) throw new Error('Expected the emulator target to be started, got ready() before start()')
      return waitReady({ baseUrl: info.baseUrl, model: info.model, healthStyle: 'dynamo', timeoutMs: o.timeoutMs ?? 60_000 })
    },
    info() {
      if (!info) throw new Error('Expected the emulator target to be started, got info() before start()')
      return info
    },
    async stop() {
      await stopChild()
      if (currentCacheDir) wipe(currentCacheDir)
      currentCacheDir = null
      info = null
    },
  }
  return target
}
