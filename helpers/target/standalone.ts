import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'
import { request } from 'undici'
import type { TieringBackend } from '../backends/tiering-backend'
import { KV_MODE_DEFAULT_CPU_GB, KV_MODE_DEFAULT_DISK_GB, type KvMode, kvModeHasDiskTier, kvModeHasHostTier } from '../config/kv-mode'
import { TierPlan } from '../tiers/tier-plan'
import { shQuote } from './dynamo-commands'
import { type HostProcess, type HostProcessOptions, buildChildEnv, launchHostProcess } from './host-process'
import { type ReadinessOptions, describeNotReady, waitReady } from './readiness'
import { ModeNotApplicableError } from './mode-not-applicable'
import { type StandaloneCommandOptions, dockerRemoveArgv, sidecarCommand, standaloneCommand } from './standalone-commands'
import type { ApplyModeOptions, ReadinessReport, Target, TargetInfo } from './target'
import { verifyMode } from './verify-mode'

// A standalone server (vLLM or SGLang, no Dynamo) driven with the Dynamo driver's lifecycle: every
// mode is a fresh process (sidecars first) with a wiped disk-tier dir, the mode is verified on the
// running server through the backend's verification spec, provenance records the exact command
// lines and configuration, and stop reaps every process by pid (docker: by exact container name).

export interface StandaloneTargetOptions extends Omit<StandaloneCommandOptions, 'port' | 'containerName'> {
  backend: TieringBackend
  scratchDir: string
  logsDir: string
  /** Server port. @default a free port on 127.0.0.1 */
  port?: number
  /** The backend's metrics endpoint for a server port. @default `http://127.0.0.1:<port>/metrics` (the engine's /metrics) */
  metricsUrl?: (port: number) => string
  /** A tier-metrics port apart from the server (KVBM's DYN_KVBM_METRICS_PORT): 0 = a free port per start. Ignored when `metricsUrl` is given. */
  metricsPort?: number
  /** Where each mode's disk-tier dir is created (and wiped). @default `<scratchDir>/standalone-<engine>` */
  cacheRoot?: string
  /** The mode's tier plan (#13's per-phase plans); default: the mode's sizes (GB = 10^9 bytes). */
  planFor?: (mode: KvMode) => TierPlan
  /** @default 900_000 (model load) */
  readyTimeoutMs?: number
  maxInputTokens?: number | null
  /** Grace before SIGKILL on stop. @default 30_000 */
  stopGraceMs?: number
}

/** What the driver does to the outside world: injectable so tests can record it. */
export interface StandaloneDeps {
  launch: (o: HostProcessOptions) => HostProcess
  exec: (argv: string[]) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>
  ready: (o: ReadinessOptions) => Promise<ReadinessReport>
  freePort: () => Promise<number>
}

export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('Expected a bound port, got none'))))
    })
  })

// A SIGKILLed parent runs no exit hook; the kernel's parent-death signal still reaches the server
// (docker runtime: the `docker run` client, which forwards it to the container's init).
const SETPRIV = '/usr/bin/setpriv'
export const dieWithParentArgv = (argv: string[]): string[] => (existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGTERM', '--', ...argv] : argv)

const DEFAULT_DEPS: StandaloneDeps = {
  launch: launchHostProcess,
  exec: async (argv) => {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 60_000 })
    return { exitCode: r.exitCode ?? null, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  },
  ready: waitReady,
  freePort: freeLoopbackPort,
}

/** The default plan of a mode: its configured GB sizes (kv_modes), or the mode defaults. */
export const defaultPlanFor = (mode: KvMode): TierPlan =>
  TierPlan.parse({
    host_tier_bytes: kvModeHasHostTier(mode.id) ? Math.round((mode.cpuCacheGb ?? KV_MODE_DEFAULT_CPU_GB[mode.id]) * 1e9) : 0,
    disk_tier_bytes: kvModeHasDiskTier(mode.id) ? Math.round((mode.diskCacheGb ?? KV_MODE_DEFAULT_DISK_GB[mode.id]) * 1e9) : 0,
    eviction_policy: mode.evictionPolicy ?? 'lru',
  })

/** kvsim marks every response (x-kvsim-emulated: 1): a "server" that is kvsim must be labelled emulated in every artifact. */
export const answersAsKvsim = async (baseUrl: string): Promise<boolean> => {
  try {
    const res = await request(`${baseUrl}/v1/models`, { headersTimeout: 5000, bodyTimeout: 5000 })
    await res.body.dump()
    return res.headers['x-kvsim-emulated'] === '1'
  } catch {
    return false
  }
}

const CLI_FIELD = { vllm: 'target.binary (TIERBENCH_VLLM_BIN)', sglang: 'target.python (TIERBENCH_SGLANG_PYTHON)' } as const

const logTail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').slice(-1500)
  } catch {
    return ''
  }
}

export const createStandaloneTarget = (opts: StandaloneTargetOptions, deps: StandaloneDeps = DEFAULT_DEPS): Target => {
  // A path that is not there fails now, by name, not after a model-load timeout (a bare name is looked up on PATH).
  const cli = opts.engine === 'vllm' ? opts.vllmBin : opts.python
  if (opts.runtime === 'host' && cli?.includes('/') && !existsSync(cli))
    throw new Error(`Expected ${CLI_FIELD[opts.engine]} to name an existing file, got ${cli}`)
  const scratch = join(opts.scratchDir, `standalone-${opts.engine}`)
  let server: HostProcess | null = null
  let sidecars: HostProcess[] = []
  let containers: string[] = []
  let cacheDir: string | null = null
  let info: TargetInfo | null = null
  let starts = 0

  const wipe = (dir: string | null) => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }

  const stopAll = async () => {
    const grace = opts.stopGraceMs ?? 30_000
    const procs = [server, ...sidecars].filter((p): p is HostProcess => p !== null)
    server = null
    sidecars = []
    await Promise.all(procs.map((p) => p.stop(grace)))
    // `docker run` in the foreground forwards SIGTERM, but a container must never outlive its leg.
    for (const name of containers.splice(0)) await deps.exec(dockerRemoveArgv(name))
  }

  const applyMode = async (mode: KvMode, apply: ApplyModeOptions = {}): Promise<TargetInfo> => {
    const support = opts.backend.support(mode.id)
    // Not a failure of the stack: the suite records the mode as not applicable on this backend.
    if (!support.supported) throw new ModeNotApplicableError(mode.id, null, `${opts.engine} with ${opts.backend.name}`, support.reason)
    await stopAll()
    starts++
    if (apply.wipeCache !== false) wipe(cacheDir)
    const dir = join(opts.cacheRoot ?? scratch, `kvcache-${mode.id}-${starts}`)
    wipe(dir)
    mkdirSync(dir, { recursive: true })
    cacheDir = dir
    const port = opts.port ?? (await deps.freePort())
    const separatePort = opts.metricsUrl || opts.metricsPort === undefined ? null : opts.metricsPort || (await deps.freePort())
    const metricsUrl = (opts.metricsUrl ?? ((p) => `http://127.0.0.1:${separatePort ?? p}/metrics`))(port)
    const plan = (opts.planFor ?? defaultPlanFor)(mode)
    const metricsPort = Number(new URL(metricsUrl).port) || null
    const cfg = opts.backend.configure(mode.id, plan, { cacheDir: dir, metricsPort: metricsPort === port ? null : metricsPort })
    const filesDir = join(scratch, `files-${mode.id}-${starts}`)
    mkdirSync(filesDir, { recursive: true })
    for (const f of cfg.files) writeFileSync(join(filesDir, f.name), f.content)
    const mounts = [...(opts.mounts ?? []), dir, filesDir]
    const containerName = `tierbench-${opts.engine}-${mode.id.toLowerCase()}-${process.pid}-${starts}`
    const commands: string[] = []
    const startProc = (serverArgv: string[], env: Record<string, string | undefined>, what: string): HostProcess => {
      const argv = dieWithParentArgv(serverArgv)
      commands.push(argv.map(shQuote).join(' '))
      return deps.launch({ argv, env: buildChildEnv(process.env, { ...env, ...apply.env }), logFile: join(opts.logsDir, `${opts.engine}-${starts}-${mode.id}-${what}.log`) })
    }
    for (const s of cfg.sidecars ?? []) {
      const name = `${containerName}-${s.name}`
      const c = sidecarCommand({ ...opts, mounts }, s, name)
      if (opts.runtime === 'docker') containers.push(name)
      sidecars.push(startProc(c.argv, c.env, s.name))
    }
    const cmd = standaloneCommand({ ...opts, port, containerName, mounts }, cfg)
    if (opts.runtime === 'docker') containers.push(containerName)
    server = startProc(cmd.argv, cmd.env, 'server')
    const baseUrl = `http://127.0.0.1:${port}`
    // A server (or sidecar) that exits while loading ends the wait at once, with its log.
    const exited = new AbortController()
    let exit: string | null = null
    for (const p of [server, ...sidecars])
      void p.exited.then((e) => {
        exit ??= `${p === server ? 'the server' : 'a sidecar'} exited (code ${e.code}, signal ${e.signal}); log ${p.logFile}:\n${logTail(p.logFile)}`
        exited.abort()
      })
    const readiness = await deps.ready({ baseUrl, model: opts.servedModelName ?? opts.model, healthStyle: 'http-status', timeoutMs: opts.readyTimeoutMs ?? 900_000, signal: exited.signal })
    if (!readiness.ready) {
      const log = server.logFile
      await stopAll()
      throw new Error(`Expected ${opts.engine} in ${mode.id} to become ready at ${baseUrl}, got ${exit ?? `${describeNotReady(readiness)} (log: ${log})`}`)
    }
    const pids = [server.pid, ...sidecars.map((p) => p.pid)]
    // The dir is the only disk path this launch configures, in every mode: in B0/B1 it must stay empty
    // and unopened (verified here, and the B1 gate's OS evidence when the backend has no disk counter).
    const v = await verifyMode({ mode: mode.id, kvbmMetricsUrl: metricsUrl, pids, cacheDir: dir, backend: opts.backend })
    info = {
      kind: opts.engine,
      baseUrl,
      model: opts.servedModelName ?? opts.model,
      frontendMetricsUrl: null,
      // The engine's own /metrics answers in every mode; a separate tier endpoint (KVBM) only with a tier on.
      kvbmMetricsUrl: mode.id === 'B0' && metricsPort !== port ? null : metricsUrl,
      emulated: await answersAsKvsim(baseUrl),
      mode: mode.id,
      modeVerified: v.verified,
      modeEvidence: [...(support.caveat ? [`${opts.backend.name} ${mode.id}: ${support.caveat}`] : []), ...v.evidence],
      pids,
      cacheDir: dir,
      maxInputTokens: opts.maxInputTokens ?? null,
      provenance: {
        launcher: 'standalone',
        engine: opts.engine,
        runtime: opts.runtime,
        image: opts.image ?? null,
        backend: opts.backend.name,
        tier_plan: plan,
        commands,
        kv_transfer_config: cfg.kvTransferConfig,
        engine_yaml: cfg.engineYaml,
        files: cfg.files.map((f) => join(filesDir, f.name)),
        env_set: Object.fromEntries(Object.entries(cfg.env).filter(([, x]) => x !== undefined)),
        env_unset: Object.entries(cfg.env).filter(([, x]) => x === undefined).map(([k]) => k),
      },
      healthStyle: 'http-status',
      logFiles: [server.logFile, ...sidecars.map((p) => p.logFile)],
    }
    return info
  }

  const target: Target = {
    kind: opts.engine,
    async start() {
      return info ?? applyMode({ id: 'B0' })
    },
    applyMode,
    async ready(o = {}) {
      if (!info) throw new Error('Expected the standalone target to be started, got ready() before start()')
      return deps.ready({ baseUrl: info.baseUrl, model: info.model, healthStyle: 'http-status', timeoutMs: o.timeoutMs ?? 30_000 })
    },
    info() {
      if (!info) throw new Error('Expected the standalone target to be started, got info() before start()')
      return info
    },
    async stop() {
      await stopAll()
      wipe(cacheDir)
      cacheDir = null
      info = null
    },
  }
  return target
}
