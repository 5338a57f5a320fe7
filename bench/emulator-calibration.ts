// Calibration of kvsim's performance model against the published DGX Spark figures
// (reference/spark-and-storage-numbers.md §2). Two columns per figure: the model's closed form, and
// the engine actually serving one 2048-in / 128-out request (run at --time-scale 0.1 and rescaled,
// so the table shows what clients of kvsim observe, including scheduling overhead).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine } from '../emulator/engine/create-engine'
import type { EmulatorProfile } from '../emulator/engine/emulator-profile'
import type { Engine } from '../emulator/engine/engine-types'
import { batchOneThroughput, decodeStepSeconds, prefillSeconds } from '../emulator/engine/perf-model'
import { getProfile, PROFILES } from '../emulator/profiles'

const INPUT = 2048
const OUTPUT = 128
const TIME_SCALE = 0.1

const pct = (model: number, published: number | null) =>
  published ? `${((model / published - 1) * 100 >= 0 ? '+' : '')}${((model / published - 1) * 100).toFixed(1)} %` : 'n/a'
const fmt = (n: number | null) => (n === null ? 'n/a' : n >= 100 ? n.toFixed(0) : n.toFixed(2))

/** Serves one request through a real engine and returns observed prefill and decode tok/s (rescaled). */
const measureEngine = async (p: EmulatorProfile, dir: string) => {
  const engine = await createEngine({ profile: p, env: { KVSIM_LORA_COUNT: '0' }, cacheDir: dir, adaptersDir: join(dir, 'adapters'), timeScale: TIME_SCALE, ioScale: 1 })
  try {
    // Warm-up request: the first one pays for JIT, GC of the tokenizer tables and lazy init.
    await serve(engine, p, Array.from({ length: INPUT }, (_, i) => 50 + i), 8)
    // Median of three distinct prompts (no shared blocks), one at a time as at batch 1.
    const runs: { prefill: number; decode: number }[] = []
    for (const r of [1, 2, 3]) runs.push(await serve(engine, p, Array.from({ length: INPUT }, (_, i) => r * 200_000 + i), OUTPUT))
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]
    return { prefill: median(runs.map((x) => x.prefill)), decode: median(runs.map((x) => x.decode)) }
  } finally {
    await engine.close()
  }
}

const serve = (engine: Engine, p: EmulatorProfile, promptTokens: number[], maxTokens: number) =>
  new Promise<{ prefill: number; decode: number }>((resolve, reject) => {
      const t0 = process.hrtime.bigint()
      let first = 0n
      let last = 0n
      let n = 0
      engine.submit(
        { id: `cal-${p.name}`, promptTokens, maxTokens, ignoreEos: true, temperature: 0, topP: 1, seed: null, stop: [], adapter: null, receivedNs: t0, needle: null },
        {
          onToken: () => {
            last = process.hrtime.bigint()
            if (n++ === 0) first = last
          },
          onDone: () => {
            const ttft = Number(first - t0) / 1e9 / TIME_SCALE
            const decode = Number(last - first) / 1e9 / TIME_SCALE
            resolve({ prefill: promptTokens.length / ttft, decode: (n - 1) / decode })
          },
          onError: (e) => reject(new Error(`Expected calibration request to finish got ${e.code}: ${e.message}`)),
        },
      )
    })

const dir = await mkdtemp(join(tmpdir(), 'kvsim-calibration-'))
try {
  console.log(`kvsim calibration: batch 1, ${INPUT} in / ${OUTPUT} out, timeScale 1 model; engine served at timeScale ${TIME_SCALE} and rescaled (median of 3)\n`)
  console.log('| profile | prefill model tok/s | prefill engine tok/s | prefill published | Δ model | Δ engine | decode model tok/s | decode engine tok/s | decode published | Δ model | Δ engine |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const p of Object.values(PROFILES)) {
    const m = batchOneThroughput(p, INPUT, OUTPUT)
    const e = await measureEngine(p, dir)
    const pub = p.published
    console.log(
      `| ${p.name} | ${fmt(m.prefillTokensPerS)} | ${fmt(e.prefill)} | ${fmt(pub.prefillTokensPerS)} | ${pct(m.prefillTokensPerS, pub.prefillTokensPerS)} | ${pct(e.prefill, pub.prefillTokensPerS)} | ${fmt(m.decodeTokensPerS)} | ${fmt(e.decode)} | ${fmt(pub.decodeTokensPerS)} | ${pct(m.decodeTokensPerS, pub.decodeTokensPerS)} | ${pct(e.decode, pub.decodeTokensPerS)} |`,
    )
  }

  // Figures the calibration did not fit directly: depth and batch behaviour.
  const oss = getProfile('gpt-oss-120b-mxfp4')
  const fp8 = getProfile('llama31-8b-fp8')
  const checks: [string, number, number][] = [
    ['gpt-oss-120b prefill pp2048 at 32K depth (llama.cpp)', 2048 / prefillSeconds(oss, 32768, 2048), 1155.4],
    ['gpt-oss-120b decode at 32K depth (llama.cpp)', 1 / decodeStepSeconds(oss, 1, 32768 + 16), 41.4],
    ['gpt-oss-120b decode aggregate, batch 32, prompt 4096 (llama.cpp)', 32 / decodeStepSeconds(oss, 32, 32 * 4160), 231],
    ['llama31-8b-fp8 decode aggregate, batch 32 (SGLang)', 32 / decodeStepSeconds(fp8, 32, 32 * 2112), 368],
    ['llama33-70b-nvfp4 decode vs bandwidth roofline', batchOneThroughput(getProfile('llama33-70b-nvfp4'), INPUT, OUTPUT).decodeTokensPerS, 6.72],
  ]
  console.log('\n| check (model) | model | published | Δ |')
  console.log('|---|---|---|---|')
  for (const [name, model, published] of checks) console.log(`| ${name} | ${fmt(model)} | ${fmt(published)} | ${pct(model, published)} |`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
