import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRunArtifacts } from '../reporters/build-artifacts'
import { writeSyntheticRun } from '../test/reporters/synthetic-run'

// End-to-end cost of `tierbench report` on a large run: 10^6 request records (5 sweep phases × 3
// modes plus warmup and paired repeats, 4 ITL gaps each) → summary, CSVs, charts, report, dossier.
// Goal: ≤ 15 s wall and ≤ 1.5 GB peak RSS. Knob: BENCH_REQUESTS (default 1000000).
const target = Number(process.env.BENCH_REQUESTS ?? 1_000_000)
const perPhase = Math.max(20, Math.round(target / 18.1))
const dir = mkdtempSync(join(tmpdir(), 'tierbench-bench-analysis-'))
try {
  const t0 = performance.now()
  const run = await writeSyntheticRun(dir, { requestsPerPhase: perPhase, modes: ['B0', 'B1', 'B2'], steps: [1, 2, 4, 8, 16] })
  const genS = (performance.now() - t0) / 1000
  const bytes = statSync(join(run.runDir, 'raw', 'requests.jsonl')).size
  const rssBefore = process.memoryUsage().rss
  const t1 = performance.now()
  const res = await buildRunArtifacts(run.runDir)
  const wallS = (performance.now() - t1) / 1000
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  console.table([
    {
      requests: run.requests,
      'requests.jsonl MB': Number((bytes / 1e6).toFixed(1)),
      'generate s': Number(genS.toFixed(2)),
      'buildRunArtifacts s': Number(wallS.toFixed(2)),
      'peak RSS MB (process)': Number(peakRssMb.toFixed(0)),
      'RSS before build MB': Number((rssBefore / 1e6).toFixed(0)),
      files: res.files.length,
    },
  ])
  const ok = wallS <= 15 && peakRssMb <= 1536
  console.log(ok ? 'within goals (≤ 15 s, ≤ 1.5 GB)' : 'OUTSIDE goals (≤ 15 s, ≤ 1.5 GB)')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
