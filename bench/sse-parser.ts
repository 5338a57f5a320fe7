// Micro-benchmark of the SSE parser (npm run bench:sse): how many token events per second one core
// can parse, for whole-chunk and hostile 1-byte fragmentation. Knobs: BENCH_TIME_MS (default 500).
import { readFileSync } from 'node:fs'
import { Bench } from 'tinybench'
import { createSseParser } from '../helpers/client/sse-parser'

const fixture = readFileSync(new URL('../fixtures/sse/kvsim-tiny-completions.txt', import.meta.url))
const eventsPerFixture = fixture.toString().split('\n\n').filter((s) => s.length > 0).length

// A 1,000-token stream split the way a socket delivers it under load (~1.4 KB segments).
const tokenEvent = (i: number) => `data: {"id":"cmpl-bench","object":"text_completion","created":1,"model":"kvsim/tiny","choices":[{"index":0,"text":" tok${i}","logprobs":null,"finish_reason":null}]}\n\n`
const longStream = Buffer.from(Array.from({ length: 1000 }, (_, i) => tokenEvent(i)).join('') + 'data: [DONE]\n\n')
const segments: Buffer[] = []
for (let i = 0; i < longStream.length; i += 1400) segments.push(longStream.subarray(i, i + 1400))
const oneByte = Array.from({ length: fixture.length }, (_, i) => fixture.subarray(i, i + 1))

let sink = 0
const parse = (chunks: (Buffer | string)[]) => {
  const p = createSseParser((e) => {
    sink += e.data.length
  })
  for (const c of chunks) p.push(c)
  p.end()
}

const time = Number(process.env.BENCH_TIME_MS ?? 500)
const bench = new Bench({ name: 'sse-parser', time, warmup: true })
bench
  .add(`kvsim stream, 1 chunk (${eventsPerFixture} events)`, () => parse([fixture]))
  .add(`kvsim stream, 1-byte chunks (${fixture.length} chunks)`, () => parse(oneByte))
  .add('1,000-token stream, 1.4 KB segments', () => parse(segments))
  .add('1,000-token stream as one string', () => parse([longStream.toString()]))
await bench.run()
console.table(bench.table())
const long = bench.tasks.find((t) => t.name.startsWith('1,000-token stream, 1.4'))
const r = long?.result as { latency?: { mean?: number } } | undefined
if (r?.latency?.mean) {
  console.log(`parser throughput: ${Math.round((1001 / r.latency.mean) * 1000).toLocaleString('en-US')} events/s on one core (1.4 KB segments); sink=${sink > 0}`)
}
