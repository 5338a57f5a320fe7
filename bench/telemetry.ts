// Telemetry cost and jitter (npm run bench:telemetry): every collector available on this
// machine runs through createTelemetry at 200 ms for BENCH_SECONDS (default 20), against a
// child-process Prometheus server (so its CPU is not ours) and a sleeping stand-in worker.
// Reports CPU cost (process.cpuUsage delta ÷ wall, % of one core; goal < 2 %) and sampling
// jitter (|actual − planned| sample time, p50/p99/max). BENCH_EACH_SECONDS (default 3, 0 = off)
// also runs each collector alone to show its own share.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRunClock } from '../helpers/client/run-clock'
import type { TargetInfo } from '../helpers/target/target'
import type { CollectorName } from '../helpers/telemetry/collector'
import { createTelemetry } from '../helpers/telemetry/telemetry'

const seconds = Number(process.env.BENCH_SECONDS ?? 20)
const eachSeconds = Number(process.env.BENCH_EACH_SECONDS ?? 3)
const root = mkdtempSync(join(tmpdir(), 'tb-bench-telemetry-'))
const cacheDir = join(root, 'cache')
mkdirSync(cacheDir)

const server = spawn(process.execPath, [
  '-e',
  `const fs=require('fs');const fe=fs.readFileSync('/work/shared/fixtures/real/dynamo/frontend-metrics.prom','utf8');let n=0;
   const kv=()=>'# TYPE kvbm_onboard_blocks_d2d counter\\nkvbm_onboard_blocks_d2d '+(n++)+'\\n# TYPE kvbm_disk_cache_hit_rate gauge\\nkvbm_disk_cache_hit_rate 0.5\\n';
   const s=require('http').createServer((q,r)=>{r.end(q.url.startsWith('/kvbm')?kv():fe)});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`,
])
const port = await new Promise<number>((res) => server.stdout!.once('data', (d) => res(Number(String(d).trim()))))
// `exec sleep`: the pid we kill is the one holding the file, and no orphan keeps pipes open.
const worker = spawn('sh', ['-c', `exec 3<>${cacheDir}/kv.bin; rm ${cacheDir}/kv.bin; exec sleep 3600`], { stdio: 'ignore' })

const info: TargetInfo = {
  kind: 'emulator', baseUrl: `http://127.0.0.1:${port}`, model: 'bench', emulated: true, mode: 'B2', modeVerified: false, modeEvidence: [],
  frontendMetricsUrl: `http://127.0.0.1:${port}/metrics`, kvbmMetricsUrl: `http://127.0.0.1:${port}/kvbm/metrics`,
  pids: [worker.pid!], cacheDir, maxInputTokens: null, provenance: {}, healthStyle: 'http-status', logFiles: [],
}
const ALL: CollectorName[] = ['block_device', 'cpu', 'memory', 'process_io', 'gpu', 'kvbm', 'frontend', 'cache_dir', 'client_pool']

const run = async (collectors: CollectorName[], secs: number, label: string) => {
  const clock = createRunClock()
  const t = createTelemetry({ collectors, target: info, suiteDir: join(root, label), clock, cadenceMs: 200, pool: () => ({ queued: 0, pending: 0, running: 1 }) })
  const all0 = process.cpuUsage()
  const allW = performance.now()
  await t.start()
  await t.phaseStart('bench')
  // Steady state: sampling only (no availability probes, no phase-boundary scrapes).
  const cpu0 = process.cpuUsage()
  const w0 = performance.now()
  await new Promise((r) => setTimeout(r, secs * 1000))
  const cpu = process.cpuUsage(cpu0)
  const wall = performance.now() - w0
  await t.phaseEnd('bench')
  const report = await t.stop()
  const all = process.cpuUsage(all0)
  const pct = (c: NodeJS.CpuUsage, ms: number) => ((c.user + c.system) / 1000 / ms) * 100
  return { report, cpuPct: pct(cpu, wall), totalPct: pct(all, performance.now() - allW) }
}

const idle0 = process.cpuUsage()
const idleW = performance.now()
await new Promise((r) => setTimeout(r, 2000))
const idle = process.cpuUsage(idle0)
const idlePct = ((idle.user + idle.system) / 1000 / (performance.now() - idleW)) * 100

// Warm-up: lazy module loading (undici, execa, tsx hooks) is a one-off, not a sampling cost.
await run(ALL, 1, 'warmup')
const all = await run(ALL, seconds, 'all')
const f = (x: number | null) => (x == null ? '—' : x.toFixed(2))
console.log(`\nall collectors, 200 ms cadence, ${seconds} s: CPU ${all.cpuPct.toFixed(2)} % of one core while sampling, ${all.totalPct.toFixed(2)} % including start/phase boundaries/stop (idle process baseline ${idlePct.toFixed(2)} %)`)
console.table(
  Object.fromEntries(
    Object.entries(all.report.collectors).map(([n, c]) => [
      n,
      { available: c.available, samples: c.samples, jitter_p50_ms: f(c.jitter_ms.p50), jitter_p99_ms: f(c.jitter_ms.p99), jitter_max_ms: f(c.jitter_ms.max), reason: c.reason?.slice(0, 50) ?? '' },
    ]),
  ),
)
if (eachSeconds > 0) {
  const rows: Record<string, { cpu_pct_one_core: string }> = {}
  for (const c of ALL) {
    if (!all.report.collectors[c]?.available) continue
    process.stderr.write(`${c} … `)
    rows[c] = { cpu_pct_one_core: (await run([c], eachSeconds, `each-${c}`)).cpuPct.toFixed(2) }
  }
  console.log(`\neach collector alone (${eachSeconds} s, includes phase-boundary snapshots):`)
  console.table(rows)
}
worker.kill('SIGKILL')
server.kill('SIGKILL')
rmSync(root, { recursive: true, force: true })
