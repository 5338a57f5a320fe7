import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { buildRunArtifacts } from '../reporters/build-artifacts'
import { writeSyntheticRun } from '../test/reporters/synthetic-run'

// End-to-end cost of `tierbench report` on a large run: 10^6 request records (5 sweep phases × 3
// modes plus warmup and AB/BA repeats, 4 ITL gaps each) → summary, CSVs, charts, report, dossier.
// Goal: ≤ 15 s wall and ≤ 1.5 GB peak RSS. The build runs in a child process so its peak RSS is not
// the generator's. Knobs: BENCH_REQUESTS (default 1000000), TIERBENCH_REPORT_WORKERS (scan threads; default auto).

const child = async (runDir: string) => {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const res = await buildRunArtifacts(runDir)
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  console.log(JSON.stringify({ wall_s: wall, cpu_s: (cpu.user + cpu.system) / 1e6, peak_rss_mb: process.resourceUsage().maxRSS / 1024, files: res.files.length }))
}

const parent = async () => {
  const target = Number(process.env.BENCH_REQUESTS ?? 1_000_000)
  const perPhase = Math.max(20, Math.round(target / 18.1))
  const dir = mkdtempSync(join(tmpdir(), 'tierbench-bench-analysis-'))
  try {
    const t0 = performance.now()
    const run = await writeSyntheticRun(dir, { requestsPerPhase: perPhase, modes: ['B0', 'B1', 'B2'], steps: [1, 2, 4, 8, 16], status: 'complete' })
    const genS = (performance.now() - t0) / 1000
    const bytes = statSync(join(run.runDir, 'raw', 'requests.jsonl')).size
    const out = await execa('node', ['--import', 'tsx', import.meta.filename, '--build', run.runDir], { env: process.env })
    const m = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { wall_s: number; cpu_s: number; peak_rss_mb: number; files: number }
    console.table([
      {
        requests: run.requests,
        'requests.jsonl MB': Number((bytes / 1e6).toFixed(1)),
        'generate s': Number(genS.toFixed(1)),
        'buildRunArtifacts wall s': Number(m.wall_s.toFixed(2)),
        'CPU s (all threads)': Number(m.cpu_s.toFixed(2)),
        'peak RSS MB': Math.round(m.peak_rss_mb),
        files: m.files,
      },
    ])
    console.log(m.wall_s <= 15 && m.peak_rss_mb <= 1536 ? 'within goals (≤ 15 s, ≤ 1.5 GB)' : 'OUTSIDE goals (≤ 15 s, ≤ 1.5 GB)')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--build') await child(process.argv[3]!)
else await parent()
