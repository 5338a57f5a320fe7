// Prompt builder speed (npm run bench:prompts). Goals: a 32k-token prompt well under 100 ms and a
// 128k-token prompt under 1 s, exact after the chat template. Each iteration uses a new key, so
// every build cuts a different slice and runs the verifying count. The one-time corpus build per
// tokenizer is reported separately. Knobs: BENCH_TIME_MS (default 500).
import { Bench } from 'tinybench'
import { buildPrompt } from '../helpers/workload/prompt-builder'
import { getPromptCorpus } from '../helpers/workload/prompt-corpus'
import type { TokenizerId } from '../helpers/tokenizer/tokenizer'

const cases: Array<[TokenizerId, 'llama3' | 'harmony']> = [
  ['llama3', 'llama3'],
  ['o200k', 'harmony'],
]
for (const [tokenizer] of cases) {
  const t0 = performance.now()
  getPromptCorpus(tokenizer)
  console.log(`corpus ${tokenizer}: built once in ${(performance.now() - t0).toFixed(0)} ms`)
}

const time = Number(process.env.BENCH_TIME_MS ?? 500)
const bench = new Bench({ name: 'prompt builder', time, warmup: true })
const goals = new Map<string, number>()
let key = 0
let sink = 0
for (const [tokenizer, template] of cases)
  for (const [tokens, goalMs] of [
    [8192, 100],
    [32768, 100],
    [131072, 1000],
  ] as const) {
    const name = `${tokenizer} ${tokens} tokens (nonce + needle)`
    goals.set(name, goalMs)
    bench.add(name, () => {
      const p = buildPrompt({ tokenizer, template, tokens, key: key++, nonce: key, needle: { depth: 0.5 } })
      if (p.tokens !== tokens) throw new Error(`Expected ${tokens} tokens, got ${p.tokens}`)
      sink += p.text.length
    })
  }
await bench.run()
console.table(bench.table())
let ok = true
for (const task of bench.tasks) {
  const mean = task.result && 'latency' in task.result ? task.result.latency.mean : Number.NaN
  const goal = goals.get(task.name) ?? Number.POSITIVE_INFINITY
  const pass = mean < goal
  ok &&= pass
  console.log(`${pass ? 'PASS' : 'FAIL'} ${task.name}: mean ${mean.toFixed(1)} ms (goal < ${goal} ms)`)
}
console.log(`sink=${sink > 0}`)
if (!ok) process.exitCode = 1
