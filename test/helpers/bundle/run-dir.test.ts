import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { createRunDir, newRunId, pointLatest, readLatest } from '../../../helpers/bundle/run-dir'

describe('run directories', () => {
  const dirs: string[] = []
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'tb-rundir-'))
    dirs.push(d)
    return d
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  test('a run id is a UTC timestamp with a random suffix', () => {
    expect(newRunId(new Date('2026-11-22T17:01:02.345Z'))).toMatch(/^20261122T170102Z-[0-9a-f]{4}$/)
  })

  test('creating a run directory makes it and its raw folder', () => {
    const root = tmp()
    const { runId, runDir } = createRunDir(root)
    expect(runDir).toBe(join(root, runId))
    expect(existsSync(join(runDir, 'raw'))).toBe(true)
  })

  test('an explicit run id that already exists is refused rather than overwritten', () => {
    const root = tmp()
    createRunDir(root, 'fixed-id')
    expect(() => createRunDir(root, 'fixed-id')).toThrow(/Expected run id fixed-id to be new/)
  })

  test('many runs created at once never share a directory', () => {
    const root = tmp()
    const ids = new Set(Array.from({ length: 50 }, () => createRunDir(root).runId))
    expect(ids.size).toBe(50)
  })

  test('latest points at the newest run and can be repointed', () => {
    const root = tmp()
    const a = createRunDir(root)
    const b = createRunDir(root)
    pointLatest(root, a.runId)
    expect(readLatest(root)).toBe(a.runId)
    pointLatest(root, b.runId)
    expect(readlinkSync(join(root, 'latest'))).toBe(b.runId)
  })
})
