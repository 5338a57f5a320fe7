// What-if analysis speed (npm run bench:trace-analysis): parse + one stack-distance pass + curve +
// tier prediction of the bundled 12,031-row conversation trace and of a generated 12,000-row trace
// with long inputs (64-block rows). The goal is seconds, not minutes: one O(n log n) pass, never a
// simulation per cache size. Knobs: BENCH_TIME_MS (default 500).
import { Bench } from 'tinybench'
import { analyzeTrace } from '../helpers/trace/trace-whatif'
import { syntheticTrace } from '../helpers/trace/synthetic-trace'
import { BUNDLED_MOONCAKE_TRACE, readMooncakeTrace } from '../helpers/workload/mooncake-trace'

const caps = { device_tokens: 725_000, host_tokens: 61_000, disk_tokens: 2_000_000, disk_min_prior_uses: 2 }
const synthetic = syntheticTrace({ rows: 12_000, seed: 1, maxBlocks: 128 })
const time = Number(process.env.BENCH_TIME_MS ?? 500)
const bench = new Bench({ name: 'trace what-if', time, iterations: 3, warmup: true })
let sink = 0
bench
  .add('bundled conversation trace: read .gz + parse 12,031 rows', () => {
    sink += readMooncakeTrace(BUNDLED_MOONCAKE_TRACE).length
  })
  .add('bundled conversation trace: read + analyse + predict', () => {
    const a = analyzeTrace(readMooncakeTrace(BUNDLED_MOONCAKE_TRACE), { kvBytesPerToken: 131072 })
    sink += a.predict(caps).cached_tokens
  })
  .add('generated 12,000-row trace (long inputs): analyse + predict', () => {
    const a = analyzeTrace(synthetic, { kvBytesPerToken: 131072 })
    sink += a.predict(caps).cached_tokens
  })
await bench.run()
console.table(bench.table())
console.log(`accesses in the generated trace: ${synthetic.reduce((s, r) => s + r.hash_ids.length, 0)} (sink ${sink > 0})`)
