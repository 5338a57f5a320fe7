import fs, { rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { kvModeFromEnv, kvModeUsesKvbm, type KvModeId } from '../helpers/config/kv-mode'
import { getTokenizer } from '../helpers/tokenizer/tokenizer'
import { createEngine } from './engine/create-engine'
import { g1Blocks } from './engine/emulator-profile'
import type { Engine } from './engine/engine-types'
import { createTimingTruthEngine, parseTimingTruth } from './engine/timing-truth-engine'
import { parseFaults, type FaultSet } from './faults'
import { getProfile } from './profiles'
import { createKvsimServer, type KvsimServer } from './server/create-server'
import { type MetricDialect, renderTierMetrics } from './server/tier-metrics'

// Library entry of kvsim: the CLI, tests and the emulator target all start it through here.

export const DEFAULT_KVBM_METRICS_PORT = 6880

export interface StartKvsimOptions {
  /** Emulator profile name (emulator/profiles.ts). */
  profile: string
  /** @default 0 (a free port) */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Overrides DYN_KVBM_METRICS_PORT; 0 = a free port. */
  kvbmMetricsPort?: number
  /** Metric dialect of the tier-metrics port (a tiering backend's names). @default 'kvbm' */
  backend?: MetricDialect
  /** Fault spec (emulator/faults.ts). @default '' */
  faults?: string
  /** Shrinks modeled compute time (never real IO). @default 1 */
  timeScale?: number
  /** Divides G3 block and adapter bytes. @default 1 */
  ioScale?: number
  /** Overrides DYN_KVBM_DISK_CACHE_DIR. @default os.tmpdir() */
  cacheDir?: string
  /** @default a fresh <os.tmpdir()>/kvsim-adapters-<profile>-<pid>-… removed on close */
  adaptersDir?: string
  /** The DYN_KVBM_* environment the mode comes from. @default process.env */
  env?: Record<string, string | undefined>
  /** Overrides the profile's max_batch_size (benches that hold thousands of streams in one batch). */
  maxBatchSize?: number
  /** @default 16 MiB */
  maxBodyBytes?: number
  log?: (entry: Record<string, unknown>) => void
  /** Timing-truth mode (`<first_ms>,<itl_ms>,<tokens>`): fixed token times, no compute model. */
  timingTruth?: string
  /** Appends one JSON line per finished stream with the time of every token write (timing truth). */
  writeLogPath?: string
}

/** What the CLI prints as its one ready line. */
export interface KvsimInfo {
  url: string
  metricsUrl: string
  /** The tier-metrics endpoint in the chosen dialect (KVBM's port for kvbm); null when it is off. */
  kvbmMetricsUrl: string | null
  /** Metric dialect of kvbmMetricsUrl. */
  backend: MetricDialect
  pid: number
  profile: string
  mode: KvModeId
  model: string
  maxInputTokens: number
  g3: { path: string | null; oDirect: boolean; fallbackReason: string | null }
  /** Effective tier capacities (blocks) and the bytes behind them, as an engine's startup log prints them. */
  tiers: { tokensPerBlock: number; kvBytesPerToken: number; g1Blocks: number; g2Blocks: number; g3Blocks: number; g3BlockBytesOnDisk: number }
  emulated: true
}

export interface KvsimHandle extends KvsimInfo {
  readonly server: KvsimServer
  readonly engine: Engine
  info(): KvsimInfo
  close(): Promise<void>
}

const truthy = (v: string | undefined) => /^(1|true)$/i.test(v ?? '')

export const startKvsim = async (opts: StartKvsimOptions): Promise<KvsimHandle> => {
  const env = opts.env ?? process.env
  const log = opts.log ?? (() => {})
  const base = getProfile(opts.profile)
  const profile = opts.maxBatchSize === undefined ? base : { ...base, maxBatchSize: opts.maxBatchSize }
  const mode = kvModeFromEnv(env)
  const host = opts.host ?? '127.0.0.1'
  const cacheDir = opts.cacheDir ?? env.DYN_KVBM_DISK_CACHE_DIR ?? os.tmpdir()
  // Without --adapters-dir, adapters go to a directory of this process, removed on close.
  const ownAdaptersDir = opts.adaptersDir === undefined ? path.join(os.tmpdir(), `kvsim-adapters-${profile.name}-${process.pid}-${Date.now().toString(36)}`) : null
  const adaptersDir = opts.adaptersDir ?? ownAdaptersDir!
  const faults = parseFaults(opts.faults ?? '')
  const modelled = await createEngine({
    profile,
    env: { ...env, DYN_KVBM_DISK_CACHE_DIR: cacheDir },
    cacheDir,
    adaptersDir,
    timeScale: opts.timeScale ?? 1,
    ioScale: opts.ioScale ?? 1,
    faults: { corruptDisk: faults.corrupt_disk, slowDiskMs: faults.slow_disk, stall: faults.stall },
  })
  const engine = opts.timingTruth ? createTimingTruthEngine(modelled, parseTimingTruth(opts.timingTruth)) : modelled
  // The log is written from the server's process and core, off the client's timestamping path.
  const writeLogStream = opts.writeLogPath ? fs.createWriteStream(opts.writeLogPath, { flags: 'a' }) : null

  // KVBM's metrics live on their own port, only with a KVBM connector and DYN_KVBM_METRICS set. The
  // other dialects are the engine's own /metrics: there in every mode, B0 included.
  const backend = opts.backend ?? 'kvbm'
  const kvbmEnabled = backend === 'kvbm' ? kvModeUsesKvbm(mode) && truthy(env.DYN_KVBM_METRICS) : true
  const startedAtS = Date.now() / 1000
  let kvbmPort = opts.kvbmMetricsPort
  if (kvbmPort === undefined) {
    const fromEnv = env.DYN_KVBM_METRICS_PORT
    const n = Number(fromEnv)
    if (fromEnv !== undefined && fromEnv !== '' && Number.isInteger(n) && n >= 0 && n < 65536) kvbmPort = n
    else {
      if (fromEnv !== undefined && fromEnv !== '')
        log({ level: 'warn', msg: `Expected DYN_KVBM_METRICS_PORT to be a port number, got ${JSON.stringify(fromEnv)}; using ${DEFAULT_KVBM_METRICS_PORT}` })
      kvbmPort = DEFAULT_KVBM_METRICS_PORT
    }
  }
  const kvbmServer = http.createServer((req, res) => {
    req.resume()
    const p = (req.url ?? '/').split('?')[0]
    if (p !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    const stats = engine.stats()
    const body = renderTierMetrics(backend, {
      mode,
      model: profile.servedModelName,
      tokensPerBlock: engine.tokensPerBlock,
      kvBytesPerToken: profile.kvBytesPerToken,
      counters: engine.kvbmCounters(),
      prefix: engine.prefixCounters(),
      stats,
      startedAtS,
    })
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body)
  })
  let kvbmListening = false
  const startKvbm = () =>
    new Promise<void>((resolve, reject) => {
      kvbmServer.once('error', reject)
      kvbmServer.listen({ port: kvbmPort, host }, () => {
        kvbmServer.off('error', reject)
        kvbmListening = true
        const a = kvbmServer.address()
        // Keep the bound port so toggling no_kvbm_metrics off reopens the same URL.
        if (typeof a === 'object' && a) kvbmPort = a.port
        resolve()
      })
    })
  const stopKvbm = () =>
    new Promise<void>((resolve) => {
      if (!kvbmListening) return resolve()
      kvbmListening = false
      kvbmServer.close(() => resolve())
      kvbmServer.closeAllConnections()
    })

  const onFaultsChanged = (f: FaultSet) => {
    if (!kvbmEnabled) return
    if (f.no_kvbm_metrics && kvbmListening) void stopKvbm()
    else if (!f.no_kvbm_metrics && !kvbmListening)
      startKvbm().catch((e) => log({ level: 'error', msg: 'could not reopen the KVBM metrics port', error: String(e) }))
  }

  const server = createKvsimServer({
    engine,
    model: {
      servedModelName: profile.servedModelName,
      tokenizer: getTokenizer(profile.tokenizer),
      chatTemplate: profile.chatTemplate,
      maxInputTokens: engine.maxInputTokens,
      contextLength: profile.maxInputTokens,
      maxNumSeqs: profile.maxBatchSize,
      maxNumBatchedTokens: profile.maxNumTokens,
      totalKvBlocks: g1Blocks(profile),
      kvCacheBlockSize: engine.tokensPerBlock,
    },
    faults,
    maxBodyBytes: opts.maxBodyBytes,
    log,
    onFaultsChanged,
    writeLog: writeLogStream ? (e) => writeLogStream.write(`${JSON.stringify(e)}\n`) : undefined,
  })

  let port: number
  try {
    port = await server.listen(opts.port ?? 0, host)
    if (kvbmEnabled && !faults.no_kvbm_metrics) await startKvbm()
  } catch (e) {
    await server.close()
    await stopKvbm()
    throw e
  }

  const origin = `http://${host.includes(':') ? `[${host}]` : host}`
  const url = `${origin}:${port}`
  const info = (): KvsimInfo => ({
    url,
    metricsUrl: `${url}/metrics`,
    kvbmMetricsUrl: kvbmListening ? `${origin}:${kvbmPort}/metrics` : null,
    backend,
    pid: process.pid,
    profile: profile.name,
    mode,
    model: profile.servedModelName,
    maxInputTokens: engine.maxInputTokens,
    g3: { ...engine.g3 },
    tiers: {
      tokensPerBlock: engine.tokensPerBlock,
      kvBytesPerToken: engine.kvBytesPerToken,
      g1Blocks: engine.tierBlocks.g1,
      g2Blocks: engine.tierBlocks.g2,
      g3Blocks: engine.tierBlocks.g3,
      g3BlockBytesOnDisk: engine.g3BlockBytes,
    },
    emulated: true,
  })
  let closed: Promise<void> | null = null
  const close = () =>
    (closed ??= (async () => {
      await server.close()
      await stopKvbm()
      if (writeLogStream) await new Promise<void>((r) => writeLogStream.end(() => r()))
      if (ownAdaptersDir) rmSync(ownAdaptersDir, { recursive: true, force: true })
    })())
  log({ level: 'info', msg: 'kvsim ready', ...info() })
  return { ...info(), server, engine, info, close }
}
