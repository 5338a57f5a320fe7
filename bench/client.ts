// Client timing-accuracy benchmark (npm run bench:client): is tierbench's client the thing it measures?
//
// It drives exactly the suites' path: createStreamClient (ITLs kept, tokenizer loaded), runPhase with
// the real executors and progress lines, every record appended to a real raw/requests.jsonl, and the
// telemetry timeline (the suites' standard collectors at 200 ms) running. The server is kvsim in
// timing-truth mode (--timing-truth 50,10,16: first token 50 ms after receipt, then one every 10 ms,
// 16 tokens, no compute model) logging the CLOCK_MONOTONIC instant before every token write. kvsim is
// pinned to CPU 1 and the client (all its threads) to CPU 0, so on a 2-core box they do not share a core.
//   ttft_error_ms = client t_first_token_ms − kvsim's first write     (both on CLOCK_MONOTONIC)
//   itl_error_ms  = |client ITL gap − kvsim's gap between the same two writes|
// Loads: closed loop at 1/64/256/1,024 streams, Poisson open loop at 50/500/800/1,200 req/s; each
// phase is BENCH_WARM_S (2) s of warm-up then BENCH_PHASE_S (6) s measured. Every row carries the
// 1-minute load average, because a busy host inflates every figure here.
//
// Knobs: BENCH_CLIENTS=single,sharded (which clients; sharded = worker threads, BENCH_SHARDS of them,
// default 2), BENCH_CONCURRENCY, BENCH_RATES, BENCH_PHASE_S, BENCH_WARM_S, BENCH_JSON=1 (JSON at the end),
// BENCH_CLIENT_REF=<git ref>: run the client, executors and JSONL writer of that commit (git archive
// into a scratch dir) against the same server and harness, for before/after tables.
// Attribution knobs (docs/client-and-load.md): BENCH_NO_RECORDS=1 (no JSONL append), BENCH_NO_TELEMETRY=1,
// BENCH_NO_PROGRESS=1, BENCH_KEEP_ITL=0.
import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { GCProfiler, getHeapSpaceStatistics } from 'node:v8'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { percentile } from '../helpers/analysis/percentile'
import type { RequestRecord } from '../helpers/client/request-record'
import { createRunClock } from '../helpers/client/run-clock'
import { spawnKvsim, type SpawnedKvsim } from '../helpers/client/spawn-kvsim'
import type { StreamClient } from '../helpers/client/stream-client'
import { ExecutorSpec } from '../helpers/load/executor-spec'
import type { CollectorName } from '../helpers/telemetry/collector'
import { createTelemetry } from '../helpers/telemetry/telemetry'
import type { TargetInfo } from '../helpers/target/target'
import { getTokenizer } from '../helpers/tokenizer/tokenizer'
import type { Workload } from '../helpers/workload/workload-types'

const env = process.env
// Unset = the default list; set but empty (BENCH_RATES=) = none of that kind.
const list = (v: string | undefined, d: number[]) => (v === undefined ? d : v.split(',').filter((x) => x.trim() !== '').map(Number))
const levels = list(env.BENCH_CONCURRENCY, [1, 64, 256, 1024])
const rates = list(env.BENCH_RATES, [50, 500, 800, 1200])
const phaseS = Number(env.BENCH_PHASE_S ?? 6)
const warmS = Number(env.BENCH_WARM_S ?? 2)
const shardCount = Number(env.BENCH_SHARDS ?? 2)
const clients = (env.BENCH_CLIENTS ?? 'single,sharded').split(',').filter(Boolean)
const ref = env.BENCH_CLIENT_REF
const keepItl = env.BENCH_KEEP_ITL !== '0'
const TRUTH = { first_ms: 50, itl_ms: 10, tokens: 16 }
// The suites' default collector set (helpers/suite/define-hypothesis.ts STANDARD_COLLECTORS).
const COLLECTORS: CollectorName[] = ['block_device', 'cpu', 'memory', 'process_io', 'kvbm', 'frontend', 'gpu', 'cache_dir']
const ROOT = fileURLToPath(new URL('..', import.meta.url))

const scratch = mkdtempSync(join(tmpdir(), 'tierbench-bench-client-'))
let kvsim: SpawnedKvsim | null = null
let cleaned = false
const cleanup = async () => {
  if (cleaned) return
  cleaned = true
  await kvsim?.stop().catch(() => {})
  rmSync(scratch, { recursive: true, force: true })
}
// Every exit path reaps kvsim and the scratch dir (kvsim also exits when our stdin pipe to it closes).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(sig, () => {
    process.stderr.write(`bench:client: ${sig}, stopping kvsim\n`)
    void cleanup().finally(() => process.exit(130))
  })
process.once('exit', () => {
  if (!cleaned) rmSync(scratch, { recursive: true, force: true })
})

// The client under test: this tree's, or the one of BENCH_CLIENT_REF extracted next to our node_modules.
interface ClientModules {
  createStreamClient: typeof import('../helpers/client/stream-client').createStreamClient
  createShardedStreamClient: typeof import('../helpers/client/sharded-stream-client').createShardedStreamClient
  runPhase: typeof import('../helpers/load/run-phase').runPhase
  createJsonlWriter: typeof import('../helpers/bundle/jsonl-writer').createJsonlWriter
}
const loadModules = async (): Promise<{ mods: ClientModules; label: string }> => {
  let base = ROOT
  let label = 'this tree'
  if (ref) {
    const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim()
    base = join(scratch, `ref-${sha}`)
    execFileSync('mkdir', ['-p', base])
    execFileSync('sh', ['-c', `git archive ${sha} helpers emulator bin package.json | tar -x -C '${base}'`], { cwd: ROOT })
    symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'))
    label = `commit ${sha}`
  }
  const imp = (p: string) => import(pathToFileURL(join(base, p)).href)
  const [sc, sh, rp, jw] = await Promise.all([
    imp('helpers/client/stream-client.ts'),
    imp('helpers/client/sharded-stream-client.ts'),
    imp('helpers/load/run-phase.ts'),
    imp('helpers/bundle/jsonl-writer.ts'),
  ])
  return { mods: { createStreamClient: sc.createStreamClient, createShardedStreamClient: sh.createShardedStreamClient, runPhase: rp.runPhase, createJsonlWriter: jw.createJsonlWriter }, label }
}

// Pin every thread of this process (V8 and libuv helpers included) to CPU 0; threads started later
// (worker shards) inherit it. kvsim gets CPU 1.
const hostCpus = availableParallelism()
const pinned = hostCpus >= 2 && env.BENCH_PIN !== '0'
if (pinned) execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' })

const la = () => loadavg()[0].toFixed(2)
const stats = (v: number[]) => ({ p50: percentile(v, 50), p99: percentile(v, 99), max: v.length ? v.reduce((a, b) => (b > a ? b : a), -Infinity) : null })
const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? 'n/a' : x.toFixed(d))

let n = 0
const workload = (): Workload => ({
  kind: 'stream',
  source: {
    name: 'bench',
    next: () => {
      const id = `b${n++}`
      return {
        request: {
          endpoint: 'completions',
          stream: true,
          body: { prompt: `Benchmark request ${id}: explain KV cache tiering.`, max_tokens: TRUTH.tokens, ignore_eos: true },
          meta: { request_id: id, workload: 'bench', prompt_sha: id, params_hash: 'p', identity_hash: id, payload_hash: id, prompt_tokens_expected: 10 },
        },
      }
    },
  },
})

// kvsim's write log, read incrementally: response id -> ns of every token write.
const writeLogPath = join(scratch, 'kvsim-writes.jsonl')
let logOffset = 0
let logCarry = ''
const writes = new Map<string, bigint[]>()
const readWrites = () => {
  if (!existsSync(writeLogPath)) return
  const fd = openSync(writeLogPath, 'r')
  try {
    const buf = Buffer.alloc(1 << 20)
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, logOffset)
      if (got === 0) break
      logOffset += got
      const text = logCarry + buf.toString('utf8', 0, got)
      const lines = text.split('\n')
      logCarry = lines.pop() ?? ''
      for (const l of lines) {
        if (!l) continue
        const e = JSON.parse(l) as { id: string; writes_ns: string[] }
        writes.set(e.id, e.writes_ns.map((x) => BigInt(x)))
      }
    }
  } finally {
    closeSync(fd)
  }
}

// Bytes allocated in V8's young generation over a phase (main thread): what the scavenger has to
// deal with. From the new-space fill level before each GC minus its level after the previous one.
type GcStat = { beforeGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }; afterGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] } }
const newUsedOf = (spaces: { spaceName: string; spaceUsedSize: number }[]) => spaces.find((x) => x.spaceName === 'new_space')?.spaceUsedSize ?? 0
const newSpaceUsed = () => newUsedOf(getHeapSpaceStatistics().map((x) => ({ spaceName: x.space_name, spaceUsedSize: x.space_used_size })))
const youngAllocated = (start: number, prof: { statistics: GcStat[] } | undefined, end: number) => {
  let total = 0
  let level = start
  for (const g of prof?.statistics ?? []) {
    total += Math.max(0, newUsedOf(g.beforeGC.heapSpaceStatistics) - level)
    level = newUsedOf(g.afterGC.heapSpaceStatistics)
  }
  return total + Math.max(0, end - level)
}

// BENCH_ALLOC_PROFILE=<file>: V8 sampling heap profile of the first measured phase, counting objects
// the GC already collected too (where the young-generation churn comes from).
let allocProfiled = false
const startAllocSampling = async () => {
  const { Session } = await import('node:inspector')
  const s = new Session()
  s.connect()
  const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))))
  await post('HeapProfiler.enable')
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  return async () => {
    const r = await post('HeapProfiler.stopSampling')
    s.disconnect()
    return r.profile
  }
}

const shardLoop = (r: Row) => (r.shards ? ` (shards ${r.shards.map((x) => f(x.loop_delay_p99_ms)).join('/')})` : '')
const shardGc = (r: Row) =>
  r.shards ? ` + shards ${r.shards.map((x) => `${f(x.gc_ms, 0)} (${x.gc_count}, max ${f(x.gc_max_ms)})`).join(' / ')}` : ''

interface Row {
  client: string
  load: string
  requests: number
  errors: number
  dropped: number
  matched: number
  ttft_error_ms: ReturnType<typeof stats>
  itl_error_ms: ReturnType<typeof stats>
  schedule_delay_ms: ReturnType<typeof stats>
  loop_delay_p99_ms: number
  gc_ms: number
  gc_max_ms: number
  gc_count: number
  gc_ms_by_kind: Record<string, number>
  client_cpu_us_per_request: number
  young_alloc_kb_per_request: number
  client_cpu_pct: number
  /** Involuntary context switches of this process per second: how often the OS took the core away. */
  preemptions_per_s: number
  /** Sharded client: each shard's GC and loop delay p99 (null for the single loop). */
  shards: { gc_ms: number; gc_count: number; gc_max_ms: number; loop_delay_p99_ms: number }[] | null
  load_avg_1m: number
}

const main = async () => {
  const { mods, label } = await loadModules()
  kvsim = await spawnKvsim({
    profile: 'tiny',
    cpus: pinned ? '1' : undefined,
    extraArgs: ['--timing-truth', `${TRUTH.first_ms},${TRUTH.itl_ms},${TRUTH.tokens}`, '--write-log', writeLogPath],
  })
  const clock = createRunClock()
  const target: TargetInfo = {
    kind: 'emulator',
    baseUrl: kvsim.url,
    model: kvsim.model,
    frontendMetricsUrl: `${kvsim.url}/metrics`,
    kvbmMetricsUrl: null,
    emulated: true,
    mode: 'B0',
    modeVerified: false,
    modeEvidence: [],
    pids: [kvsim.pid],
    cacheDir: null,
    maxInputTokens: null,
    provenance: {},
    healthStyle: 'dynamo',
    logFiles: [],
  }
  let current: StreamClient | null = null
  const telemetry =
    env.BENCH_NO_TELEMETRY === '1'
      ? null
      : createTelemetry({ collectors: COLLECTORS, target, suiteDir: join(scratch, 'suite'), clock, pool: () => current?.stats() ?? { queued: 0, pending: 0, running: 0, connected: 0 } })
  await telemetry?.start()
  // Deferred as the suites open it (an older tree's writer ignores the option and writes inline).
  const requests = mods.createJsonlWriter(join(scratch, 'raw', 'requests.jsonl'), { deferred: true })
  const tokenizer = getTokenizer('llama3')
  const gc: number[] = []
  const gcKinds: Record<string, number> = {}
  const GC_KIND: Record<number, string> = { 1: 'scavenge', 2: 'mark-sweep', 4: 'incremental', 8: 'weak-cb' }
  const gcObs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      gc.push(e.duration)
      const k = GC_KIND[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other'
      gcKinds[k] = (gcKinds[k] ?? 0) + e.duration
    }
  })
  gcObs.observe({ entryTypes: ['gc'] })

  console.log(`bench:client — client: ${label}; kvsim pid ${kvsim.pid}, timing truth ${TRUTH.first_ms} ms first token, ${TRUTH.itl_ms} ms ITL, ${TRUTH.tokens} tokens; ${pinned ? 'kvsim on CPU 1, client on CPU 0' : 'unpinned'}; ${hostCpus} CPUs on the host; phases ${warmS} s warm-up + ${phaseS} s measured`)
  console.log(`load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other processes on this host inflate every figure)`)

  const rows: Row[] = []
  const runOne = async (kind: string, executor: unknown, maxInFlight: number, measure: boolean, loadLabel: string) => {
    const copts = { baseUrl: kvsim!.url, model: kvsim!.model, maxInFlight, clock, keepItl }
    const client: StreamClient =
      kind === 'single' ? mods.createStreamClient({ ...copts, tokenizer }) : await mods.createShardedStreamClient({ ...copts, shards: shardCount, tokenizerId: 'llama3' })
    current = client
    const records: RequestRecord[] = []
    gc.length = 0
    for (const k of Object.keys(gcKinds)) delete gcKinds[k]
    const cpu0 = process.cpuUsage()
    const ctx0 = process.resourceUsage().involuntaryContextSwitches
    const eld = monitorEventLoopDelay({ resolution: 10 })
    eld.enable()
    const sampling = measure && env.BENCH_ALLOC_PROFILE && !allocProfiled ? await startAllocSampling() : null
    const gcProf = new GCProfiler()
    const newUsed0 = newSpaceUsed()
    gcProf.start()
    const res = await mods.runPhase({
      executor: ExecutorSpec.parse(executor),
      workload: workload(),
      client,
      clock,
      signal: new AbortController().signal,
      context: { run_id: 'bench', suite_id: 'bench-client', phase: `${kind}-${loadLabel}`, phase_kind: measure ? 'measure' : 'warmup', mode: 'B0' },
      onRecord: (r) => {
        // As the suites append it (suite-runtime.ts): the emulated flag added at serialisation.
        if (env.BENCH_NO_RECORDS !== '1') requests.append(r, { emulated: true })
        records.push(r)
      },
      progress: env.BENCH_NO_PROGRESS !== '1',
      progressWrite: () => {},
    })
    const cpu = process.cpuUsage(cpu0)
    const preempted = process.resourceUsage().involuntaryContextSwitches - ctx0
    eld.disable()
    const allocBytes = youngAllocated(newUsed0, gcProf.stop(), newSpaceUsed())
    if (sampling) {
      allocProfiled = true
      writeFileSync(env.BENCH_ALLOC_PROFILE as string, JSON.stringify(await sampling()))
    }
    // Shards' own GC and loop delay (the main thread's observers cannot see worker threads).
    const shardFn = (client as { shardStats?: () => Promise<{ gc_ms: number; gc_count: number; gc_max_ms: number; loop_delay_p99_ms: number }[]> }).shardStats
    const shardStats = shardFn ? await shardFn() : null
    await client.close()
    current = null
    if (!measure) return
    await new Promise((r) => setTimeout(r, 300)) // kvsim appends its write log after the last write
    readWrites()
    const ttftErr: number[] = []
    const itlErr: number[] = []
    for (const r of records) {
      if (!r.ok || r.t_first_token_ms === null || r.response_id === null) continue
      const w = writes.get(r.response_id)
      if (!w || w.length === 0) continue
      ttftErr.push(r.t_first_token_ms - clock.fromNs(w[0]))
      const itl = r.itl_ms
      if (itl) for (let i = 0; i < itl.length && i + 1 < w.length; i++) itlErr.push(Math.abs(itl[i] - Number(w[i + 1] - w[i]) / 1e6))
    }
    writes.clear()
    const wallMs = res.t_end_ms - res.t_start_ms
    const cpuMs = (cpu.user + cpu.system) / 1000
    const sent = records.filter((r) => r.error_class !== 'dropped')
    const row: Row = {
      client: kind === 'single' ? 'single loop' : `sharded x${shardCount}`,
      load: loadLabel,
      requests: res.completed,
      errors: res.errors,
      dropped: res.dropped,
      matched: ttftErr.length,
      ttft_error_ms: stats(ttftErr),
      itl_error_ms: stats(itlErr),
      schedule_delay_ms: stats(sent.map((r) => r.schedule_delay_ms)),
      loop_delay_p99_ms: eld.percentile(99) / 1e6,
      gc_ms: gc.reduce((a, b) => a + b, 0),
      gc_max_ms: gc.reduce((a, b) => Math.max(a, b), 0),
      gc_count: gc.length,
      gc_ms_by_kind: Object.fromEntries(Object.entries(gcKinds).map(([k, v]) => [k, Math.round(v)])),
      client_cpu_us_per_request: (cpuMs * 1000) / Math.max(1, res.sent),
      young_alloc_kb_per_request: allocBytes / 1024 / Math.max(1, res.sent),
      client_cpu_pct: (cpuMs / wallMs) * 100,
      preemptions_per_s: preempted / (wallMs / 1000),
      shards: shardStats,
      load_avg_1m: loadavg()[0],
    }
    rows.push(row)
    const e = row.ttft_error_ms
    const i = row.itl_error_ms
    const d = row.schedule_delay_ms
    if (env.BENCH_GC_KINDS) console.log(`  gc by kind ms: ${JSON.stringify(row.gc_ms_by_kind)}`)
    console.log(
      `| ${row.client} | ${row.load} | ${row.requests} | ${row.errors}/${row.dropped} | ${f(e.p50)} / ${f(e.p99)} / ${f(e.max)} | ${f(i.p50)} / ${f(i.p99)} / ${f(i.max)} | ${f(d.p50, 2)} / ${f(d.p99)} / ${f(d.max)} | ${f(row.loop_delay_p99_ms)}${shardLoop(row)} | ${f(row.gc_ms, 0)} (${row.gc_count}, max ${f(row.gc_max_ms)})${shardGc(row)} | ${f(row.client_cpu_us_per_request, 0)} | ${f(row.young_alloc_kb_per_request, 1)} | ${f(row.client_cpu_pct, 0)} | ${f(row.preemptions_per_s, 0)} | ${la()} |`,
    )
  }

  console.log('\n| client | load | requests | errors/dropped | TTFT err p50 / p99 / max ms | ITL err p50 / p99 / max ms | schedule delay p50 / p99 / max ms | loop delay p99 ms | GC ms (pauses, max) | client CPU µs/req | young-gen alloc KB/req | client CPU % | preempted /s | load avg 1m |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const kind of clients) {
    for (const c of levels) {
      const ex = (s: number) => ({ type: 'constantConcurrency', concurrency: c, duration_s: s })
      await runOne(kind, ex(warmS), c, false, `${c} streams`)
      await runOne(kind, ex(phaseS), c, true, `${c} streams`)
    }
    for (const rate of rates) {
      const ex = (s: number, seed: number) => ({ type: 'arrivalRate', rate, duration_s: s, distribution: 'poisson', max_in_flight: 2048, seed })
      await runOne(kind, ex(warmS, 2), 2048, false, `Poisson ${rate}/s`)
      await runOne(kind, ex(phaseS, 1), 2048, true, `Poisson ${rate}/s`)
    }
  }
  gcObs.disconnect()
  requests.close()
  await telemetry?.stop()
  console.log(`\nload average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log('GC and loop delay: the main thread, then each shard in brackets/after "+" for the sharded client; client CPU covers every thread of the process.')
  if (env.BENCH_JSON) console.log(JSON.stringify({ client: label, pinned, truth: TRUTH, phase_s: phaseS, warm_s: warmS, rows }))
}

try {
  await main()
} catch (e) {
  process.exitCode = 1
  console.error(`bench:client failed: ${(e as Error)?.stack ?? e}`)
} finally {
  await cleanup()
}
