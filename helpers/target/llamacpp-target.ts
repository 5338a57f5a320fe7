import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { basename, join } from 'node:path'
import { request } from 'undici'
import { llamacppBackend, LLAMACPP_METRIC_NAMES } from '../backends/llamacpp'
import type { KvMode } from '../config/kv-mode'
import { TierPlan } from '../tiers/tier-plan'
import { buildChildEnv, type HostProcess, launchHostProcess } from './host-process'
import { describeNotReady, waitReady } from './readiness'
import { ModeNotApplicableError } from './mode-not-applicable'
import { readServerContextLimit } from './server-context-limit'
import type { ApplyModeOptions, ReadinessReport, Target, TargetInfo } from './target'
import { scrapeMetricNames } from './verify-mode'

// llama.cpp's llama-server as a child process on 127.0.0.1: B0 = `--cache-ram 0` (slot prefix reuse
// only), B1 = `--cache-ram N` (host-RAM prompt cache). A mode change restarts the server, so each
// mode starts with an empty cache. The mode is verified from the running server: its /metrics
// exports the llamacpp:* counters and its own command line carries the mode's --cache-ram.

export interface LlamacppTargetOptions {
  /** Path to the llama-server binary (TIERBENCH_LLAMA_SERVER_BIN). */
  binary: string
  /** GGUF model file (TIERBENCH_LLAMA_MODEL). */
  modelPath: string
  /** Served model name (`--alias`). @default the file name without .gguf */
  alias?: string
  /** `-c`: total KV context. @default 32768 */
  ctxSize?: number
  /** `--parallel`: slots. @default 4 */
  parallel?: number
  /** `-t`: CPU threads. @default 1 */
  threads?: number
  /** Host prompt cache for B1, MiB. @default llama-server's 8192 */
  cacheRamMib?: number
  /** Extra flags appended to every start. */
  extraArgs?: string[]
  logsDir: string
  /** @default 120_000 */
  startTimeoutMs?: number
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })

const getJson = async (url: string): Promise<Record<string, unknown> | null> => {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 })
    const text = await res.body.text()
    return res.statusCode === 200 ? (JSON.parse(text) as Record<string, unknown>) : null
  } catch {
    return null
  }
}

const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject)
  })

/** The argv of a running process, or null. */
const cmdlineOf = (pid: number): string[] | null => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return null
  }
}

// A SIGKILLed parent runs no exit hook; the kernel's parent-death signal still reaches the server.
const PDEATHSIG = '/usr/bin/setpriv'

export const createLlamacppTarget = (opts: LlamacppTargetOptions): Target => {
  for (const [field, path] of [['binary', opts.binary], ['model_path', opts.modelPath]] as const)
    if (!existsSync(path)) throw new Error(`Expected target.${field} to name an existing file, got ${path} (set TIERBENCH_LLAMA_SERVER_BIN / TIERBENCH_LLAMA_MODEL)`)
  const alias = opts.alias ?? basename(opts.modelPath).replace(/\.gguf$/i, '')
  let proc: HostProcess | null = null
  let info: TargetInfo | null = null
  let starts = 0
  const hashes: Record<string, string> = {}

  const stopProc = async () => {
    const p = proc
    proc = null
    if (p) await p.stop(5000)
  }

  const launch = async (mode: KvMode): Promise<TargetInfo> => {
    const support = llamacppBackend.support(mode.id)
    if (!support.supported) throw new ModeNotApplicableError(mode.id, null, 'llamacpp', support.reason)
    await stopProc()
    starts++
    const port = await freeLoopbackPort()
    const plan = TierPlan.parse({ host_tier_bytes: mode.id === 'B1' && opts.cacheRamMib ? opts.cacheRamMib * 2 ** 20 : 0 })
    const backend = llamacppBackend.configure(mode.id, plan, { cacheDir: '', metricsPort: null })
    const serverArgv = [
      opts.binary,
      '-m', opts.modelPath,
      '--host', '127.0.0.1',
      '--port', String(port),
      '-c', String(opts.ctxSize ?? 32768),
      '--parallel', String(opts.parallel ?? 4),
      '--kv-unified',
      '-t', String(opts.threads ?? 1),
      '--alias', alias,
      ...backend.args,
      ...(opts.extraArgs ?? []),
    ]
    const argv = existsSync(PDEATHSIG) ? [PDEATHSIG, '--pdeathsig', 'SIGTERM', '--', ...serverArgv] : serverArgv
    const logFile = join(opts.logsDir, `llama-server-${starts}-${mode.id}.log`)
    proc = launchHostProcess({ argv, env: buildChildEnv(process.env, backend.env), logFile })
    const baseUrl = `http://127.0.0.1:${port}`
    const exited = new AbortController()
    void proc.exited.then(() => exited.abort())
    const readiness = await waitReady({ baseUrl, model: alias, healthStyle: 'http-status', timeoutMs: opts.startTimeoutMs ?? 120_000, signal: exited.signal })
    if (!readiness.ready) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-1500) : ''
      await stopProc()
      throw new Error(`Expected llama-server to become ready in ${mode.id}, got ${describeNotReady(readiness)}; log ${logFile}:\n${tail}`)
    }
    const [props, models, limit] = await Promise.all([getJson(`${baseUrl}/props`), getJson(`${baseUrl}/v1/models`), readServerContextLimit(baseUrl, alias)])
    for (const [k, path] of [['binary_sha256', opts.binary], ['model_sha256', opts.modelPath]] as const) hashes[k] ??= await sha256File(path)
    const meta = ((models?.data as Record<string, unknown>[] | undefined)?.[0]?.meta ?? null) as Record<string, unknown> | null
    info = {
      kind: 'llamacpp',
      baseUrl,
      model: alias,
      frontendMetricsUrl: `${baseUrl}/metrics`,
      // The tier-metrics endpoint, read in the llamacpp dialect: deltas.tiers gets cached_prompt_tokens_total.
      kvbmMetricsUrl: `${baseUrl}/metrics`,
      emulated: false,
      mode: mode.id,
      modeVerified: false,
      modeEvidence: [],
      pids: [proc.pid],
      cacheDir: null,
      maxInputTokens: limit?.tokens ?? null,
      provenance: {
        engine: 'llama.cpp',
        backend: 'llamacpp',
        build_info: props?.build_info ?? null,
        model_path: opts.modelPath,
        model_alias: alias,
        total_slots: props?.total_slots ?? null,
        n_ctx: limit?.tokens ?? null,
        n_ctx_source: limit?.source ?? null,
        model_meta: meta,
        argv: serverArgv,
        cache_ram_mib: Number(backend.args[backend.args.indexOf('--cache-ram') + 1]),
        ...hashes,
        kv_mode: mode,
      },
      healthStyle: 'http-status',
      logFiles: [logFile],
    }
    return info
  }

  /** Evidence from the running server: its metric families and its own argv. */
  const verify = async (t: TargetInfo, mode: KvMode) => {
    const evidence: string[] = []
    let ok = true
    const names = await scrapeMetricNames(`${t.baseUrl}/metrics`)
    const missing = names ? LLAMACPP_METRIC_NAMES.filter((n) => !names.has(n)) : [...LLAMACPP_METRIC_NAMES]
    if (missing.length) {
      ok = false
      evidence.push(`/metrics lacks ${missing.join(', ')}`)
    } else evidence.push(`/metrics exports ${LLAMACPP_METRIC_NAMES.length} llamacpp:* counters`)
    const argv = cmdlineOf(t.pids[0]) ?? []
    const i = argv.indexOf('--cache-ram')
    const ram = i >= 0 ? Number(argv[i + 1]) : null
    const expectOn = mode.id === 'B1'
    if (ram === null) {
      ok = false
      evidence.push(`pid ${t.pids[0]} command line carries no --cache-ram`)
    } else if (expectOn !== ram > 0) {
      ok = false
      evidence.push(`${mode.id} expects --cache-ram ${expectOn ? '> 0' : '0'}, the running server has ${ram}`)
    } else evidence.push(`pid ${t.pids[0]} runs with --cache-ram ${ram} (${expectOn ? 'host prompt cache on' : 'host prompt cache off'})`)
    return { ok, evidence }
  }

  const target: Target = {
    kind: 'llamacpp',
    async start() {
      return info ?? launch({ id: 'B0' })
    },
    async applyMode(mode: KvMode, _apply: ApplyModeOptions = {}) {
      const t = await launch(mode)
      const v = await verify(t, mode)
      info = { ...t, modeVerified: v.ok, modeEvidence: v.evidence }
      return info
    },
    async ready(o = {}): Promise<ReadinessReport> {
      if (!info) throw new Error('Expected the llama.cpp target to be started, got ready() before start()')
      return waitReady({ baseUrl: info.baseUrl, model: info.model, healthStyle: 'http-status', timeoutMs: o.timeoutMs ?? 30_000 })
    },
    info() {
      if (!info) throw new Error('Expected the llama.cpp target to be started, got info() before start()')
      return info
    },
    async stop() {
      await stopProc()
      info = null
    },
  }
  return target
}
