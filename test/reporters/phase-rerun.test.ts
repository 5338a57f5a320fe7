import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildRunArtifacts } from '../../reporters/build-artifacts'
import { SWEEP_SUITE, writeSyntheticRun } from './synthetic-run'

// A phase re-run because its first attempt was invalid for environment reasons: the raw files keep
// both attempts; every figure uses the second, and report.md says the first was invalid and why.
const root = mkdtempSync(join(tmpdir(), 'tierbench-phase-rerun-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('a re-run phase in the bundle', () => {
  test('figures come from the second attempt only, and report.md says the first attempt was invalid and why', async () => {
    const run = await writeSyntheticRun(join(root, 'r'), { requestsPerPhase: 40, status: 'complete' })
    const reqPath = join(run.runDir, 'raw', 'requests.jsonl')
    const lines = readFileSync(reqPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    const phase = lines.find((r) => r.suite_id === SWEEP_SUITE && r.phase_kind === 'measure')!.phase as string
    const first = lines.filter((r) => r.suite_id === SWEEP_SUITE && r.phase === phase)
    // The second attempt: same requests, every TTFT 7 ms, marked attempt 2.
    appendFileSync(reqPath, first.map((r) => JSON.stringify({ ...r, attempt: 2, ttft_ms: r.ok ? 7 : null })).join('\n') + '\n')
    const phasesPath = join(run.runDir, SWEEP_SUITE, 'raw', 'phases.jsonl')
    const rec = readFileSync(phasesPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((p) => p.phase === phase)
    appendFileSync(phasesPath, `${JSON.stringify({ ...rec, attempt: 2 })}\n`)
    const reason = 'client_overhead (CLIENT_BOTTLENECK) client_overhead_ms observed 99.2 against p(99)<=50'
    appendFileSync(join(run.runDir, SWEEP_SUITE, 'raw', 'events.jsonl'), `${JSON.stringify({ t_ms: 5, type: 'phase_rerun', phase, attempt: 1, reasons: [reason] })}\n`)

    await buildRunArtifacts(run.runDir)
    const summary = JSON.parse(readFileSync(join(run.runDir, SWEEP_SUITE, 'summary.json'), 'utf8'))
    const figs = summary.phases.filter((p: { phase: string }) => p.phase === phase)
    expect(figs).toHaveLength(1)
    expect(figs[0].count).toBe(first.length)
    expect(figs[0].latency.ttft_ms.p99).toBe(7)
    expect(summary.invalid_attempts).toEqual([{ phase, reasons: [reason], rerun: true, why: null, replayed: [] }])
    const md = readFileSync(join(run.runDir, SWEEP_SUITE, 'report.md'), 'utf8')
    expect(md).toContain(`**Re-run:** the first attempt of phase \`${phase}\` was invalid because of the environment (${reason}); it was re-run once`)
  })
})
