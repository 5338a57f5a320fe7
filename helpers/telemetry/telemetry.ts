import { mkdirSync, writeFileSync } from 'node:fs'
import { createJsonlWriter, type JsonlWriter } from '../bundle/jsonl-writer'
import { suiteLayout } from '../bundle/layout'
import type { TargetInfo } from '../target/target'
import { alignEvents, type AlignmentResult } from './alignment'
import { type Attribution, attributePhase } from './attribution'
import { blockDeviceFor, createBlockDeviceCollector } from './block-device'
import { type CacheDirReading, type OpenCacheFile, createCacheDirCollector } from './cache-dir'
import { type PoolStats, createClientPoolCollector } from './client-pool'
import { type Collector, type CollectorName, DEFAULT_CADENCE_MS, type Sample, type TelemetryClock } from './collector'
import { snapshotDeltas } from './counter-delta'
import { createCpuCollector } from './cpu'
import { createGpuCollector } from './gpu'
import { frontendPhaseDeltas, kvbmPhaseDeltas } from './kvbm-deltas'
import { createMemoryCollector } from './memory'
import { createNvmeHealthCollector } from './nvme-health'
import { createProcessIoCollector } from './process-io'
import { flattenFamilies } from './prometheus-parser'
import { type PrometheusCollector, type Scrape, createPrometheusCollector } from './prometheus'
import { createSysstatCollector } from './sysstat'
import { createTicker } from './ticker'
import { createKvbmBackend } from '../backends/kvbm'
import { TIER_COUNTER_NAMES, tierCounterDeltas } from '../backends/tier-counters'
import type { TieringBackend } from '../backends/tiering-backend'

// The one thing the suite DSL calls: starts the chosen collectors, streams their samples to
// telemetry/<collector>.jsonl, snapshots counters at phase boundaries and turns them into the
// deltas, missing metrics and attribution a PhaseRecord carries.
export interface TelemetryOptions {
  collectors: CollectorName[]
  /** A function when the target may restart workers (new pids) during the suite. */
  target: TargetInfo | (() => TargetInfo)
  suiteDir: string
  clock: TelemetryClock
  cadenceMs?: number
  pool?: () => PoolStats
  /** Dynamo frontend metric prefix (DYN_METRICS_PREFIX). @default 'dynamo_frontend_' */
  frontendPrefix?: string
  /**
   * The tiering backend whose dialect the `kvbm` collector's URL speaks: its normaliser turns each
   * phase's scrapes into `deltas.tiers` (tier-counters.ts), which mechanism gates read. @default KVBM
   */
  tierBackend?: TieringBackend
}

export interface PhaseTelemetry {
  deltas: Record<string, Record<string, number | null> | null>
  missing_metrics: Record<string, string[]>
  attribution: Attribution & Record<string, unknown>
  files: string[]
  /** Counter resets and unavailable sources, for PhaseRecord.notes. */
  notes: string[]
}

export interface CollectorReport {
  available: boolean
  reason: string | null
  samples: number
  errors: string[]
  jitter_ms: { p50: number | null; p99: number | null; max: number | null }
  file: string | null
}

export interface TelemetryReport {
  cadence_ms: number
  device: string | null
  collectors: Record<string, CollectorReport>
  files: string[]
}

export interface Telemetry {
  start(): Promise<void>
  phaseStart(phase: string): Promise<void>
  phaseEnd(phase: string): Promise<PhaseTelemetry>
  stop(): Promise<TelemetryReport>
  alignment(events: { t_ms: number }[], required?: CollectorName[]): AlignmentResult
  /**
   * Resolves once every running collector has a sample stamped at or after `tMs`, or after
   * `maxWaitMs`. At a phase's end the tick after its last request is still to come (or its reading
   * still in flight when the target is slow to answer a scrape); judging alignment before it lands
   * would call the last requests unaligned.
   */
  awaitSamplesAfter(tMs: number, maxWaitMs: number): Promise<void>
}

const PERIODIC: CollectorName[] = ['block_device', 'cpu', 'memory', 'process_io', 'gpu', 'kvbm', 'frontend', 'cache_dir', 'client_pool']

interface Boundary {
  block_device: Record<string, number | null> | null
  process_io: Record<string, number | null> | null
  cpu: Record<string, number | null> | null
  memory: Record<string, number | null> | null
  kvbm: Scrape | null
  frontend: Scrape | null
  cache: CacheDirReading | null
}

const pctl = (xs: number[], p: number) => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

const split = (snap: Record<string, number | null> | null, cgroup: boolean) =>
  snap ? Object.fromEntries(Object.entries(snap).filter(([k]) => k.startsWith('cgroup_') === cgroup)) : null

export const createTelemetry = (opts: TelemetryOptions): Telemetry => {
  const cadenceMs = opts.cadenceMs ?? DEFAULT_CADENCE_MS
  const info = () => (typeof opts.target === 'function' ? opts.target() : opts.target)
  const layout = suiteLayout(opts.suiteDir)
  const ioDir = info().cacheDir ?? opts.suiteDir
  const device = blockDeviceFor(ioDir)
  const writers = new Map<string, JsonlWriter>()
  const times: Record<string, number[]> = {}
  const files = new Set<string>()
  const sink = (name: string) => (s: Sample) => {
    ;(times[name] ??= []).push(s.t_ms)
    let w = writers.get(name)
    if (!w) {
      w = createJsonlWriter(layout.telemetrySeries(name))
      writers.set(name, w)
      files.add(w.path)
    }
    w.append(s)
  }
  // One timer for all periodic collectors: one event-loop wake-up per tick instead of eight.
  const ticker = createTicker(opts.clock, cadenceMs)
  const base = <S extends Sample>(name: string) => ({ clock: opts.clock, cadenceMs, ticker, onSample: sink(name) as (s: S) => void, retainSamples: false })
  const pids = () => info().pids
  // Files seen open under the cache dir during the current phase (union over samples).
  let phaseOpen = new Map<string, OpenCacheFile>()
  const noteOpen = (fs: OpenCacheFile[]) => {
    for (const f of fs) phaseOpen.set(`${f.pid}:${f.fd}:${f.path}`, f)
  }

  const tierBackend = opts.tierBackend ?? createKvbmBackend()
  const want = new Set(opts.collectors)
  const cs = new Map<CollectorName, Collector<Sample>>()
  const add = (n: CollectorName, c: Collector<any>) => want.has(n) && cs.set(n, c)
  add('block_device', createBlockDeviceCollector({ ...base('block_device'), dir: ioDir }))
  add('cpu', createCpuCollector(base('cpu')))
  add('memory', createMemoryCollector(base('memory')))
  add('process_io', createProcessIoCollector({ ...base('process_io'), pids }))
  add('gpu', createGpuCollector(base('gpu')))
  const kvbm = createPrometheusCollector({ ...base('kvbm'), name: 'kvbm', url: info().kvbmMetricsUrl })
  const frontend = createPrometheusCollector({ ...base('frontend'), name: 'frontend', url: info().frontendMetricsUrl })
  add('kvbm', kvbm)
  add('frontend', frontend)
  add('nvme_health', createNvmeHealthCollector({ ...base('nvme_health'), dir: ioDir }))
  const cache = createCacheDirCollector({ ...base('cache_dir'), dir: info().cacheDir, pids, onOpenFiles: noteOpen })
  add('cache_dir', cache)
  add('client_pool', createClientPoolCollector({ ...base('client_pool'), pool: opts.pool ?? null }))
  add('sysstat', createSysstatCollector({ ...base('sysstat'), telemetryDir: layout.telemetryDir, disks: device.disks ?? [], pids: pids() }))

  const avail = new Map<string, { available: boolean; reason: string | null }>()
  const starts = new Map<string, Boundary>()

  const boundary = async (): Promise<Boundary> => {
    const snap = async (n: CollectorName) => (cs.has(n) && avail.get(n)?.available ? cs.get(n)!.snapshot() : null)
    const scrape = async (n: 'kvbm' | 'frontend', c: PrometheusCollector) => (cs.has(n) && c.url ? c.scrape() : null)
    const [block_device, process_io, cpu, memory, k, f, cacheReading] = await Promise.all([
      snap('block_device'),
      snap('process_io'),
      snap('cpu'),
      snap('memory'),
      scrape('kvbm', kvbm),
      scrape('frontend', frontend),
      cs.has('cache_dir') ? cache.read() : Promise.resolve(null),
    ])
    return { block_device, process_io, cpu, memory, kvbm: k, frontend: f, cache: cacheReading }
  }

  const writeProm = (phase: string, src: string, edge: string, s: Scrape | null) => {
    if (!s) return
    const p = `${layout.phaseDeltasDir}/${phase}.${src}.${edge}.prom`
    writeFileSync(p, s.ok ? s.raw : `# snapshot_unavailable: ${s.error}\n`)
    files.add(p)
  }

  return {
    async start() {
      mkdirSync(layout.telemetryDir, { recursive: true })
      for (const [n, c] of cs) {
        const a = await c.available()
        avail.set(n, { available: a.available, reason: a.reason ?? null })
      }
      await Promise.all([...cs.values()].map((c) => c.start()))
    },

    async phaseStart(phase) {
      mkdirSync(layout.phaseDeltasDir, { recursive: true })
      phaseOpen = new Map()
      const b = await boundary()
      if (b.cache) noteOpen(b.cache.open_files)
      writeProm(phase, 'kvbm', 'start', b.kvbm)
      writeProm(phase, 'frontend', 'start', b.frontend)
      starts.set(phase, b)
    },

    async phaseEnd(phase) {
      const s = starts.get(phase)
      if (!s) throw new Error(`Expected phaseStart("${phase}") before phaseEnd, got none`)
      const e = await boundary()
      if (e.cache) noteOpen(e.cache.open_files)
      writeProm(phase, 'kvbm', 'end', e.kvbm)
      writeProm(phase, 'frontend', 'end', e.frontend)
      const notes: string[] = []
      const bd = snapshotDeltas(s.block_device, e.block_device)
      const pio = snapshotDeltas(split(s.process_io, false), split(e.process_io, false))
      const cg = snapshotDeltas(split(s.process_io, true), split(e.process_io, true))
      const cpu = snapshotDeltas(s.cpu, e.cpu)
      const memCounters = (m: Record<string, number | null> | null) =>
        m && { pgmajfault: m.pgmajfault, pgpgin: m.pgpgin, pgpgout: m.pgpgout }
      const mem = snapshotDeltas(memCounters(s.memory), memCounters(e.memory))
      const memory = mem.deltas && e.memory
        ? { ...mem.deltas, mem_available_bytes_after: e.memory.mem_available_bytes, dirty_bytes_after: e.memory.dirty_bytes, cached_bytes_after: e.memory.cached_bytes }
        : null
      // KVBM's own deltas (kvbm_*) only when the endpoint speaks KVBM; other backends have deltas.tiers.
      const kv = cs.has('kvbm') && tierBackend.name === 'kvbm' ? kvbmPhaseDeltas(s.kvbm?.parsed ?? null, e.kvbm?.parsed ?? null) : null
      // Normalised tier deltas in the backend's dialect; null without an end scrape (unavailable, never 0).
      const tierEnd = cs.has('kvbm') && e.kvbm?.parsed ? tierBackend.normalise(e.kvbm.parsed) : null
      const tiers = tierEnd ? tierCounterDeltas(s.kvbm?.parsed ? tierBackend.normalise(s.kvbm.parsed) : null, tierEnd) : null
      const openFiles = [...phaseOpen.values()]
      // OS evidence for gates whose backend lacks a counter (LMCache v1 has no host-vs-disk split):
      // storage-level bytes of the engine's processes, and whether they can only be disk-tier IO.
      const tierOs = {
        process_read_bytes: pio.deltas?.read_bytes ?? null,
        process_write_bytes: pio.deltas?.write_bytes ?? null,
        cgroup_read_bytes: cg.deltas?.cgroup_rbytes ?? null,
        cgroup_write_bytes: cg.deltas?.cgroup_wbytes ?? null,
        cache_dir_files_after: e.cache ? e.cache.file_count : null,
        cache_dir_bytes_after: e.cache ? e.cache.size_bytes : null,
        cache_open_files: cs.has('cache_dir') && info().cacheDir ? openFiles.length : null,
        o_direct_confirmed: openFiles.length === 0 ? null : openFiles.some((f) => f.o_direct === true) ? 1 : openFiles.every((f) => f.o_direct === false) ? 0 : null,
        // tierbench never drops the page cache itself (root only); O_DIRECT is the usable proof.
        page_cache_dropped: null,
      }
      const fe = cs.has('frontend') ? frontendPhaseDeltas(s.frontend?.parsed ?? null, e.frontend?.parsed ?? null, opts.frontendPrefix) : null
      const cgAll = cg.deltas && Object.values(cg.deltas).every((v) => v === null) ? null : cg.deltas
      const deltas: PhaseTelemetry['deltas'] = {
        block_device: bd.deltas,
        process_io: pio.deltas,
        cgroup_io: cgAll,
        cpu: cpu.deltas,
        memory,
        kvbm: kv?.deltas ?? null,
        frontend: fe?.deltas ?? null,
        tiers: tiers?.deltas ?? null,
        tier_os: tierOs,
      }
      if (tiers) for (const k of tiers.resets) notes.push(`counter reset in tiers (${tierBackend.name}): ${k} (delta = value after reset)`)
      for (const [src, r] of [['block_device', bd], ['process_io', pio], ['cgroup_io', cg], ['cpu', cpu], ['memory', mem], ['kvbm', kv], ['frontend', fe]] as const)
        for (const k of r?.resets ?? []) notes.push(`counter reset in ${src}: ${k} (delta = value after reset)`)
      for (const [n, a] of avail) if (!a.available) notes.push(`telemetry ${n} unavailable: ${a.reason}`)
      if (e.kvbm && !e.kvbm.ok) notes.push(`kvbm scrape failed at phase end: ${e.kvbm.error}`)
      const missing_metrics: Record<string, string[]> = {}
      if (kv) missing_metrics.kvbm = kv.missing
      if (cs.has('kvbm')) missing_metrics.tiers = tierEnd ? TIER_COUNTER_NAMES.filter((n) => tierEnd[n] === null) : [...TIER_COUNTER_NAMES]
      if (fe) missing_metrics.frontend = fe.missing
      const attribution = attributePhase({
        device: device.disks?.join('+') ?? null,
        blockDevice: bd.deltas,
        processIo: pio.deltas,
        cgroupIo: cgAll,
        cacheDir: info().cacheDir,
        openFiles: [...phaseOpen.values()],
        kvbm: kv?.deltas ?? null,
      })
      const file = layout.phaseDeltas(phase)
      const phaseFiles = [file, ...[...files].filter((f) => f.includes(`/phase_deltas/${phase}.`))]
      writeFileSync(
        file,
        JSON.stringify(
          {
            phase,
            device: device.disks,
            start: { block_device: s.block_device, process_io: split(s.process_io, false), cgroup_io: split(s.process_io, true), kvbm: s.kvbm?.parsed ? kvbmValues(s.kvbm) : null, frontend_ok: s.frontend?.ok ?? null },
            end: { block_device: e.block_device, process_io: split(e.process_io, false), cgroup_io: split(e.process_io, true), kvbm: e.kvbm?.parsed ? kvbmValues(e.kvbm) : null, frontend_ok: e.frontend?.ok ?? null },
            delta: deltas,
            missing_metrics,
            attribution,
            notes,
          },
          null,
          2,
        ),
      )
      starts.delete(phase)
      return { deltas, missing_metrics, attribution: attribution as PhaseTelemetry['attribution'], files: [...new Set(phaseFiles)], notes }
    },

    async stop() {
      const collectors: Record<string, CollectorReport> = {}
      for (const [n, c] of cs) {
        const series = await c.stop()
        const a = avail.get(n) ?? { available: false, reason: 'never started' }
        collectors[n] = {
          available: a.available,
          reason: a.reason,
          samples: times[n]?.length ?? 0,
          errors: series.errors,
          jitter_ms: { p50: pctl(series.jitter_ms, 50), p99: pctl(series.jitter_ms, 99), max: series.jitter_ms.length ? Math.max(...series.jitter_ms) : null },
          file: writers.get(n)?.path ?? null,
        }
      }
      for (const w of writers.values()) w.close()
      const report: TelemetryReport = { cadence_ms: cadenceMs, device: device.disks?.join('+') ?? null, collectors, files: [...files] }
      const p = `${layout.telemetryDir}/telemetry_report.json`
      writeFileSync(p, JSON.stringify(report, null, 2))
      report.files.push(p)
      return report
    },

    alignment(events, required) {
      const req = required ?? PERIODIC.filter((n) => cs.has(n) && avail.get(n)?.available)
      return alignEvents(events, times, req, cadenceMs)
    },
    async awaitSamplesAfter(tMs, maxWaitMs) {
      const names = PERIODIC.filter((n) => cs.has(n) && avail.get(n)?.available)
      // Samples are appended in time order: the last one tells.
      const covered = () => names.every((n) => (times[n]?.at(-1) ?? Number.NEGATIVE_INFINITY) >= tMs)
      const deadline = opts.clock.nowMs() + maxWaitMs
      while (!covered() && opts.clock.nowMs() < deadline) await new Promise((r) => setTimeout(r, 10))
    },
  }
}

// Every non-bucket series keyed name{labels}, for the start/end record of the phase file.
const kvbmValues = (s: Scrape) => {
  const out = flattenFamilies(s.parsed!.families)
  for (const k of Object.keys(out)) if (/_bucket(\{|$)/.test(k)) delete out[k]
  return out
}
