// Client timing-accuracy benchmark (npm run bench:client). kvsim runs pinned to CPU 1 (taskset);
// this process (the client) pins itself to CPU 0. Both stamp CLOCK_MONOTONIC, so
//   ttft_error_ms = client t_first_token_ms − kvsim first_token_ns (as run-clock ms)
// is the client's own measurement error: socket wake-up + event-loop queueing + parsing.
// Part 1: closed loop at BENCH_CONCURRENCY streams (default 1,64,256,1024).
// Part 2: open loop, Poisson at BENCH_RATES req/s (default 100,500,2000) for BENCH_RATE_S s (default 5):
//   schedule_delay_ms = t_sent − t_scheduled (p50/p99/max), late sends (> 1 ms), dropped.
// Knobs: BENCH_MAX_TOKENS (16), BENCH_TIME_SCALE (0.01), BENCH_PIN (1), BENCH_JSON (print JSON),
// BENCH_SHARDS (1 = one event loop; N > 1 = the sharded client with N worker threads, unpinned).
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { percentile } from '../helpers/analysis/percentile'
import type { RequestRecord } from '../helpers/client/request-record'
import { createRunClock } from '../helpers/client/run-clock'
import { spawnKvsim } from '../helpers/client/spawn-kvsim'
import { createShardedStreamClient } from '../helpers/client/sharded-stream-client'
import { createStreamClient } from '../helpers/client/stream-client'
import { ExecutorSpec } from '../helpers/load/executor-spec'
import { runPhase } from '../helpers/load/run-phase'
import type { Workload } from '../helpers/workload/workload-types'

const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d)
const levels = list(process.env.BENCH_CONCURRENCY, [1, 64, 256, 1024])
const rates = list(process.env.BENCH_RATES, [100, 500, 2000])
const rateS = Number(process.env.BENCH_RATE_S ?? 5)
const maxTokens = Number(process.env.BENCH_MAX_TOKENS ?? 16)
const timeScale = Number(process.env.BENCH_TIME_SCALE ?? 0.01)
const shards = Number(process.env.BENCH_SHARDS ?? 1)
// Shards need more than the one core the client would be pinned to.
const pin = process.env.BENCH_PIN !== '0' && shards === 1

if (pin) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })
const kvsim = await spawnKvsim({ profile: 'tiny', timeScale, cpus: pin ? '1' : undefined })
const clock = createRunClock()
const context = { run_id: 'bench', suite_id: 'bench-client', phase: 'bench', phase_kind: 'measure' as const, mode: 'B0' }

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
          body: { prompt: `Benchmark request ${id}: explain KV cache tiering.`, max_tokens: maxTokens, ignore_eos: true },
          meta: { request_id: id, workload: 'bench', prompt_sha: id, params_hash: 'p', identity_hash: id, payload_hash: id, prompt_tokens_expected: 10 },
        },
      }
    },
  },
})

const stats = (v: number[]) => ({ p50: percentile(v, 50), p99: percentile(v, 99), max: v.length ? Math.max(...v) : null })
const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3))
const ttftErrors = (rs: RequestRecord[]) =>
  rs.filter((r) => r.ok && r.t_first_token_ms !== null && r.server_timing?.first_token_ms != null).map((r) => r.t_first_token_ms! - r.server_timing!.first_token_ms!)

const out: Record<string, unknown> = { load_avg_start: loadavg(), max_tokens: maxTokens, time_scale: timeScale, pinned: pin, shards }
const run = async (executor: unknown, maxInFlight: number) => {
  const copts = { baseUrl: kvsim.url, model: kvsim.model, maxInFlight, clock, keepItl: false }
  const client = shards > 1 ? await createShardedStreamClient({ ...copts, shards }) : createStreamClient(copts)
  const records: RequestRecord[] = []
  const cpu0 = process.cpuUsage()
  // Event-loop delay separates "our loop was busy" from "the OS did not run us" (CPU share below).
  const eld = monitorEventLoopDelay({ resolution: 1 })
  eld.enable()
  const res = await runPhase({ executor: ExecutorSpec.parse(executor), workload: workload(), client, clock, signal: new AbortController().signal, context, onRecord: (r) => records.push(r) })
  const cpu = process.cpuUsage(cpu0)
  eld.disable()
  await client.close()
  const wallMs = res.t_end_ms - res.t_start_ms
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100
  const eldP99 = eld.percentile(99) / 1e6
  // Client CPU per request (user+system, this process): robust to other load on the box.
  const cpuUs = (cpu.user + cpu.system) / Math.max(1, res.sent)
  return { res, records, cpuUs, cpuPct, eldP99 }
}

try {
  console.log(`kvsim ${kvsim.url} (pid ${kvsim.pid}), client shards ${shards}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log('\nTTFT measurement error (client first token − kvsim first_token_ns), closed loop')
  console.log('streams | requests | errors | err p50 ms | err p99 ms | err max ms | ttft p50 ms | client cpu µs/req | client cpu % | loop delay p99 ms')
  const closed: unknown[] = []
  for (const c of levels) {
    // Warm: open every connection and let undici compile llhttp before measuring.
    await run({ type: 'constantConcurrency', concurrency: c, iterations: c }, c)
    const { res, records, cpuUs, cpuPct, eldP99 } = await run({ type: 'constantConcurrency', concurrency: c, iterations: Math.max(300, 3 * c) }, c)
    const e = stats(ttftErrors(records))
    const ttft = percentile(records.filter((r) => r.ttft_ms !== null).map((r) => r.ttft_ms!), 50)
    closed.push({ streams: c, requests: res.completed, errors: res.errors, ttft_error_ms: e, ttft_p50_ms: ttft, client_cpu_us_per_request: cpuUs, client_cpu_pct: cpuPct, loop_delay_p99_ms: eldP99 })
    console.log(`${c} | ${res.completed} | ${res.errors} | ${f(e.p50)} | ${f(e.p99)} | ${f(e.max)} | ${f(ttft)} | ${cpuUs.toFixed(0)} | ${cpuPct.toFixed(0)} | ${eldP99.toFixed(1)}`)
  }
  out.closed_loop = closed
  console.log(`\nOpen-loop schedule delay (t_sent − t_scheduled), Poisson, ${rateS} s per rate, max_in_flight 1024`)
  console.log('rate/s | sent | dropped | late >1ms | delay p50 ms | delay p99 ms | delay max ms | ttft err p99 ms | client cpu µs/req | client cpu % | loop delay p99 ms')
  const open: unknown[] = []
  for (const rate of rates) {
    await run({ type: 'arrivalRate', rate, duration_s: 1, distribution: 'poisson', max_in_flight: 1024, seed: 2 }, 1024)
    const { res, records, cpuUs, cpuPct, eldP99 } = await run({ type: 'arrivalRate', rate, duration_s: rateS, distribution: 'poisson', max_in_flight: 1024, seed: 1 }, 1024)
    const sent = records.filter((r) => r.error_class !== 'dropped')
    const d = stats(sent.map((r) => r.schedule_delay_ms))
    const e = stats(ttftErrors(records))
    open.push({ rate_per_s: rate, sent: res.sent, dropped: res.dropped, late_sends: res.late_sends, errors: res.errors, schedule_delay_ms: d, ttft_error_ms: e, client_cpu_us_per_request: cpuUs, client_cpu_pct: cpuPct, loop_delay_p99_ms: eldP99 })
    console.log(`${rate} | ${res.sent} | ${res.dropped} | ${res.late_sends} | ${f(d.p50)} | ${f(d.p99)} | ${f(d.max)} | ${f(e.p99)} | ${cpuUs.toFixed(0)} | ${cpuPct.toFixed(0)} | ${eldP99.toFixed(1)}`)
  }
  out.open_loop = open
  out.load_avg_end = loadavg()
  console.log(`\nload average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  if (process.env.BENCH_JSON) console.log(JSON.stringify(out))
} finally {
  await kvsim.stop()
}
