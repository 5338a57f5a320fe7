import { randomBytes } from 'node:crypto'
import { mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'

// A run id is a UTC timestamp plus a short random suffix; the directory is created with a
// non-recursive mkdir so an existing run is never overwritten, even by a concurrent run.
export const newRunId = (now = new Date()): string => {
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${ts}-${randomBytes(2).toString('hex')}`
}

export interface CreatedRunDir {
  runId: string
  runDir: string
}

export const createRunDir = (resultsDir: string, runId?: string): CreatedRunDir => {
  const root = resolve(resultsDir)
  mkdirSync(root, { recursive: true })
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = attempt === 0 && runId ? runId : newRunId()
    const dir = join(root, id)
    try {
      mkdirSync(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        if (runId && attempt === 0) throw new Error(`Expected run id ${runId} to be new, got an existing directory ${dir}`)
        continue
      }
      throw err
    }
    mkdirSync(join(dir, 'raw'))
    return { runId: id, runDir: dir }
  }
  throw new Error(`Expected to create a new run directory under ${root}, got 20 collisions`)
}

/** Points results/latest at a run (atomically: a temp link renamed over the old one). */
export const pointLatest = (resultsDir: string, runId: string): void => {
  const root = resolve(resultsDir)
  const link = join(root, 'latest')
  const tmp = join(root, `.latest-${process.pid}`)
  try {
    unlinkSync(tmp)
  } catch {}
  symlinkSync(runId, tmp)
  renameSync(tmp, link)
}

export const readLatest = (resultsDir: string): string | null => {
  try {
    return readlinkSync(join(resolve(resultsDir), 'latest'))
  } catch {
    return null
  }
}
