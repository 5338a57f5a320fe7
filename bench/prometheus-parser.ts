// Micro-benchmark of the Prometheus text parser (npm run bench:prometheus): the real Dynamo
// frontend exposition, a 20× larger multi-model scrape, and a KVBM-sized one.
// Knobs: BENCH_TIME_MS (default 500).
import { readFileSync } from 'node:fs'
import { Bench } from 'tinybench'
import { flattenFamilies, parsePrometheusText } from '../helpers/telemetry/prometheus-parser'

const fe = readFileSync('/work/shared/fixtures/real/dynamo/frontend-metrics.prom', 'utf8')
// 20 models' worth of the same families: the size of a busy multi-model frontend.
const big = Array.from({ length: 20 }, (_, i) => fe.replace(/model="([^"]+)"/g, `model="$1-${i}"`)).join('\n')
const kvbm = ['offload_blocks_d2h', 'offload_blocks_h2d', 'offload_blocks_d2d', 'onboard_blocks_h2d', 'onboard_blocks_d2d', 'matched_tokens']
  .map((n, i) => `# HELP kvbm_${n} x\n# TYPE kvbm_${n} counter\nkvbm_${n} ${i * 1000}`)
  .concat(['# TYPE kvbm_host_cache_hit_rate gauge\nkvbm_host_cache_hit_rate 0.5', '# TYPE kvbm_disk_cache_hit_rate gauge\nkvbm_disk_cache_hit_rate 0.25'])
  .join('\n')

let sink = 0
const time = Number(process.env.BENCH_TIME_MS ?? 500)
const bench = new Bench({ name: 'prometheus-parser', time, warmup: true })
bench
  .add(`dynamo frontend fixture (${fe.length} B)`, () => {
    sink += parsePrometheusText(fe).families.size
  })
  .add(`20-model frontend (${big.length} B)`, () => {
    sink += parsePrometheusText(big).families.size
  })
  .add(`kvbm (${kvbm.length} B)`, () => {
    sink += parsePrometheusText(kvbm).families.size
  })
  .add('frontend fixture, parse + flatten', () => {
    sink += Object.keys(flattenFamilies(parsePrometheusText(fe).families)).length
  })
await bench.run()
console.table(bench.table())
for (const t of bench.tasks) {
  const r = t.result as { latency?: { mean?: number } } | undefined
  if (r?.latency?.mean) console.log(`${t.name}: ${(r.latency.mean * 1000).toFixed(1)} µs/scrape → ${((r.latency.mean / 200) * 100).toFixed(3)} % of one core at a 200 ms cadence`)
}
console.log(`sink=${sink > 0}`)
