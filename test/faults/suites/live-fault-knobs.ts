import { request } from 'undici'
import type { PhaseApi } from '../../../helpers/suite/define-hypothesis'

// Faults the matrix plants while a suite runs, through kvsim's admin endpoint or inside the harness
// process, chosen by environment variables the fault-matrix test sets on the nested Vitest run:
//
//   FAULT_SUITE_LIVE_FAULTS=<spec>   POST the spec to /admin/faults (kvsim's grammar). Planted after
//                                    the target is ready, so the readiness probe itself is clean.
//   FAULT_SUITE_LIVE_AFTER_MS=<ms>   ...this long after the phase's load starts (mid-phase). @default 0
//   FAULT_SUITE_OVERSIZE=1           then send one prompt over the engine's max input (with
//                                    unregister_on_oversize this drops the worker).
//   FAULT_SUITE_HOG_MS=<ms>          busy-spin the harness event loop this long, yield one loop turn,
//                                    repeat, for FAULT_SUITE_HOG_FOR_MS (@default 5000): an overloaded client.
//
// Unset, nothing is planted: the same suite is the clean reference.

export interface LiveFaultKnobs {
  faults: string | null
  afterMs: number
  oversize: boolean
  hogMs: number
  hogForMs: number
}

const num = (env: NodeJS.ProcessEnv, name: string, dflt: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return dflt
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`Expected ${name} to be a non-negative number, got ${JSON.stringify(raw)}`)
  return n
}

export const liveFaultKnobs = (env: NodeJS.ProcessEnv = process.env): LiveFaultKnobs => ({
  faults: env.FAULT_SUITE_LIVE_FAULTS || null,
  afterMs: num(env, 'FAULT_SUITE_LIVE_AFTER_MS', 0),
  oversize: env.FAULT_SUITE_OVERSIZE === '1',
  hogMs: num(env, 'FAULT_SUITE_HOG_MS', 0),
  hogForMs: num(env, 'FAULT_SUITE_HOG_FOR_MS', 5000),
})

const postFaults = async (baseUrl: string, spec: string): Promise<void> => {
  const res = await request(`${baseUrl}/admin/faults`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: spec })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`Expected POST /admin/faults "${spec}" to answer 200, got ${res.statusCode}: ${text.slice(0, 300)}`)
}

const sendOversize = async (baseUrl: string, model: string, maxInputTokens: number | null): Promise<number> => {
  // Words of one token each: comfortably over the limit whatever the tokenizer merges.
  const words = (maxInputTokens ?? 8192) + 512
  const res = await request(`${baseUrl}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, prompt: 'word '.repeat(words), max_tokens: 4 }),
  })
  await res.body.text()
  return res.statusCode
}

const hog = (spinMs: number, forMs: number): void => {
  // Spin, yield one loop turn (setImmediate), spin again: every timer and socket callback waits up
  // to spinMs whenever it falls due. A setInterval hog left gaps on a fixed grid, and an open loop
  // whose arrivals fell into those gaps (5/s against a 100 ms grid) was never delayed.
  const end = Date.now() + forMs
  const spin = (): void => {
    const stop = Date.now() + spinMs
    while (Date.now() < stop) {
      // Deliberately blocking: the client shares this event loop and must fall behind.
    }
    if (Date.now() < end) setImmediate(spin)
  }
  setImmediate(spin)
}

/** The `before` hook of a phase that should carry the planted fault. */
export const plantLiveFaults = async (api: PhaseApi, knobs: LiveFaultKnobs = liveFaultKnobs()): Promise<void> => {
  const { baseUrl, model, maxInputTokens } = api.target
  const plant = async () => {
    if (knobs.faults) await postFaults(baseUrl, knobs.faults)
    const status = knobs.oversize ? await sendOversize(baseUrl, model, maxInputTokens) : null
    api.event('fault_planted', { faults: knobs.faults, oversize_status: status, after_ms: knobs.afterMs })
  }
  if (knobs.faults || knobs.oversize) {
    if (knobs.afterMs > 0) {
      const t = setTimeout(() => plant().catch((err) => api.event('fault_plant_failed', { error: (err as Error).message })), knobs.afterMs)
      t.unref()
    } else await plant()
  }
  if (knobs.hogMs > 0) {
    api.event('fault_planted', { hog_ms: knobs.hogMs, hog_for_ms: knobs.hogForMs })
    hog(knobs.hogMs, knobs.hogForMs)
  }
}
