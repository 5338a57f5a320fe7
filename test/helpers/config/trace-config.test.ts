import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConfigError } from '../../../helpers/config/config-error'
import { loadRunConfig } from '../../../helpers/config/load-run-config'
import { traceSchedule } from '../../../helpers/config/trace-config'

const REPO_CONFIGS = resolve(__dirname, '../../../configs')
let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tierbench-trace-config-'))
  cpSync(REPO_CONFIGS, join(cwd, 'configs'), { recursive: true })
})
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

const messageOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('Expected a ConfigError, got a successful load')
}

describe('trace config', () => {
  test('defaults replay the bundled trace on its timestamps in B0, B1, B2, skipping oversize rows', () => {
    const c = loadRunConfig({ cwd, env: {} })
    expect(c.trace.path).toBeUndefined()
    expect(c.trace.oversize).toBe('skip')
    expect(c.trace.modes).toEqual(['B0', 'B1', 'B2'])
    expect(traceSchedule(c.trace)).toBe('timestamps')
  })

  test('TIERBENCH_TRACE sets the path (resolved against the working directory) over the YAML one', () => {
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'trace: { path: a.jsonl, first_n: 100, rate: 2, max_concurrency: 8 }\n')
    const y = loadRunConfig({ cwd, env: {} })
    expect(y.trace).toMatchObject({ path: join(cwd, 'a.jsonl'), first_n: 100, rate: 2, max_concurrency: 8 })
    expect(traceSchedule(y.trace)).toBe('rate')
    expect(loadRunConfig({ cwd, env: { TIERBENCH_TRACE: 'b.jsonl' } }).trace.path).toBe(join(cwd, 'b.jsonl'))
  })

  test('contradictory or incomplete schedules name the field and what it needs', () => {
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'trace: { schedule: closed_loop, time_scale: 0.5 }\n')
    const m = messageOf(() => loadRunConfig({ cwd, env: {} }))
    expect(m).toMatch(/trace\.max_concurrency: Expected a positive integer \(schedule: closed_loop needs trace\.max_concurrency\)/)
    expect(m).toMatch(/trace\.time_scale: Expected no time_scale: it applies to schedule timestamps, not closed_loop/)
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'trace: { first_n: 0, oversize: drop, bogus: 1 }\n')
    const n = messageOf(() => loadRunConfig({ cwd, env: {} }))
    expect(n).toMatch(/trace\.first_n/)
    expect(n).toMatch(/trace\.oversize/)
    expect(n).toMatch(/bogus/)
  })
})
