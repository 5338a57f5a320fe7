import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { TierbenchReporter } from '../../reporters/tierbench-reporter'
import { SuiteTests } from '../../reporters/suite-tests'
import { SWEEP_SUITE, writeSyntheticRun } from './synthetic-run'

const root = mkdtempSync(join(tmpdir(), 'tierbench-reporter-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const repo = resolve(import.meta.dirname, '../..')
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'))

describe('TierbenchReporter', () => {
  test('a real nested Vitest run writes tests.json from task.meta, the bundle, the closed manifest and results/latest', async () => {
    const results = join(root, 'nested')
    const run = await writeSyntheticRun(results, { requestsPerPhase: 30, writeTests: false, runId: 'run-nested' })
    const fixture = join(repo, 'test/reporters/fixtures/reporter-project')
    const res = await execa('node', [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--root', fixture, '--config', join(fixture, 'vitest.config.ts')], {
      env: { TIERBENCH_RUN_DIR: run.runDir, FORCE_COLOR: '0' },
      reject: false,
      cwd: repo,
    })
    expect(res.exitCode, res.stderr).toBe(1) // the fixture's gate test fails, as a failed hard gate does
    expect(res.stdout).toContain('tierbench bundle:')
    const tests = SuiteTests.parse(readJson(join(run.runDir, SWEEP_SUITE, 'tests.json')))
    expect(tests.tests.map((t) => [t.name, t.state])).toEqual([
      ['phase sweep_c1_B1', 'passed'],
      ['gate disk_rehydrate', 'failed'],
    ])
    expect(tests.tests[1]!.errors[0]).toContain('NO_DISK_REHYDRATE')
    expect(tests.run_reason).toBe('failed')
    const verdict = readJson(join(run.runDir, SWEEP_SUITE, 'verdict.json'))
    expect(verdict.tests).toMatchObject({ total: 2, pass: 1, fail: 1 })
    const manifest = readJson(join(run.runDir, 'manifest.json'))
    expect(manifest.status).toBe('complete')
    expect(manifest.ended_wall).toMatch(/^\d{4}-/)
    expect(manifest.reason_codes).toContain('EMULATED_TARGET')
    expect(readlinkSync(join(results, 'latest'))).toBe('run-nested')
    expect(existsSync(join(run.runDir, SWEEP_SUITE, 'charts', 'latency_by_step.png'))).toBe(true)
  })

  test('an interrupted run (Ctrl-C) still leaves a readable partial bundle with run_valid false and RUN_INTERRUPTED', async () => {
    const run = await writeSyntheticRun(join(root, 'interrupted'), { requestsPerPhase: 20, truncateRequests: true, writeTests: false, status: 'running' })
    const lines: string[] = []
    const reporter = new TierbenchReporter({ runDir: run.runDir, log: (l) => lines.push(l) })
    await reporter.onTestRunEnd([], [], 'interrupted')
    const manifest = readJson(join(run.runDir, 'manifest.json'))
    expect(manifest.status).toBe('interrupted')
    expect(manifest.run_valid).toBe(false)
    expect(manifest.reason_codes).toContain('RUN_INTERRUPTED')
    const v = readJson(join(run.runDir, 'verdict.json'))
    expect(v.run_valid).toBe(false)
    expect(v.reason_codes).toContain('RUN_INTERRUPTED')
    expect(readFileSync(join(run.runDir, 'dossier.md'), 'utf8')).toContain('RUN_INTERRUPTED')
    expect(lines.join('\n')).toMatch(/tierbench bundle: .*status interrupted, run_valid false/)
    expect(reporter.lastBuild?.suites).toEqual([SWEEP_SUITE, 'paired_b1_b2'])
  })

  test('unhandled errors close the manifest as failed with RUN_FAILED', async () => {
    const run = await writeSyntheticRun(join(root, 'failed'), { requestsPerPhase: 20 })
    const reporter = new TierbenchReporter({ runDir: run.runDir, log: () => {} })
    await reporter.onTestRunEnd([], [{ message: 'Expected the target to answer, got ECONNREFUSED', name: 'Error' }] as never, 'failed')
    const manifest = readJson(join(run.runDir, 'manifest.json'))
    expect(manifest.status).toBe('failed')
    expect(manifest.run_valid).toBe(false)
    expect(manifest.reason_codes).toContain('RUN_FAILED')
  })

  test('without a run dir (a unit-only run) it writes nothing and stays quiet', async () => {
    const saved = process.env.TIERBENCH_RUN_DIR
    delete process.env.TIERBENCH_RUN_DIR
    try {
      const lines: string[] = []
      const reporter = new TierbenchReporter({ log: (l) => lines.push(l) })
      await reporter.onTestRunEnd([], [], 'passed')
      expect(lines).toEqual([])
      expect(reporter.lastBuild).toBeNull()
    } finally {
      if (saved !== undefined) process.env.TIERBENCH_RUN_DIR = saved
    }
  })
})
