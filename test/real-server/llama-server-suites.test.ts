import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RequestRecord } from '../../helpers/client/request-record'
import type { GateResult } from '../../helpers/gates/gate'
import type { Verdict } from '../../helpers/gates/verdict'
import { llamaServerEnv, realServerTitle } from '../helpers/real-server/llama-server-env'

// The suites against a real third-party server: llama.cpp's llama-server with a tiny random-weight
// Llama-3 model (TIERBENCH_LLAMA_SERVER_BIN / TIERBENCH_LLAMA_MODEL; .ci/run sets both). One nested
// Vitest run of h0, h2a, reuse_verify and mode_compare (B0 vs B1) on the smoke profile with short
// steps, then checks on the bundle it leaves: every run valid, no connection errors, no failure
// code without data, reuse and integrity on reuse_verify, and the host tier's effect in mode_compare.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const SUITES = ['h0', 'h2a', 'reuse_verify', 'mode_compare'] as const
const FILES = ['suites/h0-queue-knee.test.ts', 'suites/h2a-stack-a-context-concurrency.test.ts', 'suites/reuse-verify.test.ts', 'suites/mode-compare.test.ts']

const readJsonl = <T>(p: string): T[] =>
  existsSync(p)
    ? readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as T)
    : []

const env = llamaServerEnv()

describe.skipIf(!env)(realServerTitle('h0, h2a, reuse_verify and mode_compare against a real llama-server', env), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-llama-suites-'))
  let runDir = ''
  let output = ''
  let wallS = 0
  const verdict = (s: string) => JSON.parse(readFileSync(join(runDir, s, 'verdict.json'), 'utf8')) as Verdict
  const gates = (s: string) => readJsonl<GateResult>(join(runDir, s, 'raw', 'gates.jsonl'))
  const requests = () => readJsonl<RequestRecord>(join(runDir, 'raw', 'requests.jsonl'))
  const figure = (s: string, key: string) =>
    readJsonl<{ type: string; key?: string; value?: unknown }>(join(runDir, s, 'raw', 'events.jsonl')).find((e) => e.type === 'figure' && e.key === key)?.value

  beforeAll(async () => {
    // Short steps keep the added CI time modest: two concurrency steps of 3 s for h0.
    const cfg = join(dir, 'llama.yaml')
    writeFileSync(cfg, 'target:\n  kind: llamacpp\n  ctx_size: 32768\nprofiles:\n  smoke:\n    phase_s: 3\n    concurrency_steps: [1, 4]\n')
    const childEnv: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VITEST') && !k.startsWith('TIERBENCH_') && k !== 'NODE_ENV') childEnv[k] = v
    Object.assign(childEnv, {
      TIERBENCH_CONFIG: cfg,
      TIERBENCH_LLAMA_SERVER_BIN: env!.binary,
      TIERBENCH_LLAMA_MODEL: env!.model,
      TIERBENCH_PROFILE: 'smoke',
      TIERBENCH_RESULTS_DIR: join(dir, 'results'),
      TIERBENCH_SCRATCH_DIR: join(dir, 'scratch'),
    })
    const t0 = Date.now()
    const res = await execa('npx', ['vitest', 'run', '--project', 'suites', ...FILES], { cwd: ROOT, env: childEnv, extendEnv: false, reject: false, all: true, timeout: 900_000, stdin: 'ignore' })
    wallS = (Date.now() - t0) / 1000
    output = String(res.all ?? '')
    const latest = join(dir, 'results', 'latest')
    runDir = existsSync(latest) ? realpathSync(latest) : latest
  }, 960_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('every suite is run_valid with 0 connection errors', () => {
    expect(existsSync(join(runDir, 'manifest.json')), output.slice(-3000)).toBe(true)
    for (const s of SUITES) expect(verdict(s).run_valid, `${s}: ${verdict(s).summary}`).toBe(true)
    const conn = requests().filter((r) => r.error_class === 'connection' || r.error_class === 'truncated')
    expect(conn.map((r) => `${r.suite_id}/${r.phase}/${r.request_id}: ${r.error_message}`)).toEqual([])
    // Only h2a's over-limit probe is meant to fail (4xx).
    const unexpected = requests().filter((r) => !r.ok && !r.phase.startsWith('overlimit'))
    expect(unexpected.map((r) => `${r.suite_id}/${r.phase}: ${r.error_class} ${r.error_message}`)).toEqual([])
    const rows = SUITES.map((s) => {
      const rs = requests().filter((r) => r.suite_id === s && r.phase_kind === 'measure' && r.ok && r.ttft_ms !== null)
      const t = rs.map((r) => r.ttft_ms as number).sort((a, b) => a - b)
      const q = (p: number) => (t.length ? Math.round(t[Math.min(t.length - 1, Math.floor(p * t.length))]) : null)
      return `${s}: ${rs.length} measured requests, TTFT p50 ${q(0.5)} ms p99 ${q(0.99)} ms, cached ${rs.reduce((a, r) => a + (r.cached_tokens ?? 0), 0)} tokens, errors ${requests().filter((r) => r.suite_id === s && !r.ok).length}, outcome ${verdict(s).outcome}`
    })
    console.info(`llama-server suites in ${wallS.toFixed(0)} s:\n${rows.join('\n')}`)
  })

  test('no gate reports a failure code without data, and nothing applicable is called a start failure', () => {
    for (const s of SUITES) {
      const v = verdict(s)
      const failedCodes = new Set(gates(s).filter((g) => g.status === 'fail').map((g) => g.reason_code))
      for (const code of v.reason_codes)
        if (!['GATE_NO_DATA', 'TESTS_FAILED', 'EMULATED_TARGET', 'NOT_APPLICABLE'].includes(code) && !code.endsWith('_MISSING') && !code.endsWith('_NOT_ASSESSED'))
          expect(failedCodes.has(code), `${s}: ${code} without a failed gate with data`).toBe(true)
      expect(v.reason_codes).not.toContain('TARGET_START_FAILED')
      expect(v.reason_codes).not.toContain('KVBM_METRICS_MISSING')
      expect(v.reason_codes).not.toContain('PREFIX_CACHE_CONTAMINATION')
    }
    // Every suite records its wall time against suite_budget_s.
    for (const s of SUITES) expect(gates(s).find((g) => g.gate_id === 'suite_budget')?.observed, s).toBeGreaterThan(0)
    // B2 phases of h0 (stack B) are not applicable on llama.cpp, not failures.
    expect(gates('h0').filter((g) => g.gate_id === 'mode_applicable').every((g) => g.status === 'not_applicable')).toBe(true)
  })

  test('cold prompts stay cold: the contamination gate checked every measured phase of h0 and h2a', () => {
    for (const s of ['h0', 'h2a']) {
      const c = gates(s).filter((g) => g.gate_id === 'prefix_cache_contamination')
      expect(c.length).toBeGreaterThan(0)
      expect(c.map((g) => `${g.scope}:${g.status}`)).toEqual(c.map((g) => `${g.scope}:pass`))
    }
  })

  test('h2a sizes its over-limit probe from the server context limit and every probe is refused', () => {
    const g = gates('h2a').find((x) => x.gate_id === 'h2a_overlimit_rejected')
    expect(g?.status).toBe('pass')
  })

  test('reuse_verify passes its identity, reuse and integrity gates', () => {
    const byId = new Map(gates('reuse_verify').map((g) => [g.gate_id, g]))
    for (const id of ['identical_inputs', 'server_cached_tokens', 'answer_integrity']) expect(byId.get(id)?.status, `${id}: ${JSON.stringify(byId.get(id)).slice(0, 1500)}`).toBe('pass')
    expect(byId.get('answer_integrity')?.evidence.details.reference).toMatch(/cold_control/)
  })

  test('mode_compare shows the host tier: B1 revisits are served from cache and their TTFT sits below B0 revisits', () => {
    const table = figure('mode_compare', 'repeat_prefix_table') as { mode: string; cached_tokens: number; ttft_p25_ms: number; ttft_p50_ms: number; ttft_p75_ms: number }[]
    const b0 = table.find((r) => r.mode === 'B0')!
    const b1 = table.find((r) => r.mode === 'B1')!
    expect(b1.cached_tokens).toBeGreaterThan(0)
    expect(b1.cached_tokens).toBeGreaterThan(b0.cached_tokens)
    // Distributions, not two figures: B1's upper quartile below B0's lower quartile.
    expect(b1.ttft_p75_ms).toBeLessThan(b0.ttft_p25_ms)
    expect(gates('mode_compare').find((g) => g.gate_id === 'answer_integrity')?.status).toBe('pass')
    console.info(`mode_compare revisits: B0 p50 ${b0.ttft_p50_ms.toFixed(1)} ms (cached ${b0.cached_tokens}), B1 p50 ${b1.ttft_p50_ms.toFixed(1)} ms (cached ${b1.cached_tokens})`)
  })
})
