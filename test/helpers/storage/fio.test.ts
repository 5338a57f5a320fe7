import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ContentionUnavailableError } from '../../../helpers/storage/contention-unavailable-error'
import { FIO_PROFILES, FIO_PROFILE_DIR, startContention } from '../../../helpers/storage/fio'
import { parseFioJson } from '../../../helpers/storage/fio-result'
import { assertJobFileSafe } from '../../../helpers/storage/fio-guard'
import { groupAlive } from '../../../helpers/suite/child-watchdog'

const root = mkdtempSync(join(tmpdir(), 'tb-fio-'))

/** Pids of live processes whose command line names `dir` (fio's --output path): catches workers that left fio's group. */
const processesNaming = (dir: string): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(dir)
      } catch {
        return false
      }
    })
    .map(Number)
const scratch = join(root, 'scratch')
const out = join(root, 'contention')
mkdirSync(scratch)
afterAll(() => rmSync(root, { recursive: true, force: true }))
// Both paths run on every machine: "fio present" with the real fio where installed (CI's .ci/run
// installs it) and otherwise with a stand-in that behaves as the harness relies on (lays out files,
// forks workers that ignore SIGTERM, stops on SIGINT or runtime, writes json+); "fio missing" with a
// binary that does not exist.
const realFio = (() => {
  try {
    return execFileSync('which', ['fio'], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
})()
const fio = realFio ?? join(import.meta.dirname, '../../fixtures/fake-fio/fio')
const which = realFio ? 'real fio' : 'fio stand-in'
const clock = { nowMs: () => performance.now(), wallMs: () => Date.now() }
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('fio contention', () => {
  it('ships the four profiles, each passing the job-file guard; heavy is the H4B load', () => {
    for (const p of FIO_PROFILES) assertJobFileSafe(readFileSync(join(FIO_PROFILE_DIR, `${p}.fio`), 'utf8'), p)
    const heavy = readFileSync(join(FIO_PROFILE_DIR, 'heavy.fio'), 'utf8')
    for (const kv of ['rw=randrw', 'rwmixread=70', 'bs=16k', 'iodepth=32', 'numjobs=4', 'direct=1', 'time_based']) expect(heavy).toContain(kv)
  })

  it(`runs a profile, reports both directions with clat percentiles, keeps the JSON and removes its files (${which})`, async () => {
    const c = await startContention({ profile: 'heavy', scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock, size: '4M', binary: fio })
    expect(readdirSync(c.workDir).length).toBe(4)
    await new Promise((r) => setTimeout(r, 800))
    const r = await c.stop()
    expect(r.errors).toEqual([])
    expect(r.read.iops).toBeGreaterThan(0)
    expect(r.write.iops).toBeGreaterThan(0)
    expect(r.read.io_bytes / (r.read.io_bytes + r.write.io_bytes)).toBeGreaterThan(0.6)
    expect(r.read.clat_p99_us).toBeGreaterThanOrEqual(r.read.clat_p50_us!)
    expect(existsSync(r.json_file!)).toBe(true)
    expect(existsSync(c.workDir)).toBe(false)
    expect(readdirSync(scratch)).toEqual([])
    expect(alive(c.pid!)).toBe(false)
    expect(groupAlive(c.pid!), 'a fio worker outlived stop()').toBe(false)
    expect(await c.stop()).toBe(r) // idempotent
  })

  it(`ends by itself after the runtime it was given, workers included (${which})`, async () => {
    const c = await startContention({ profile: 'moderate', scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock, size: '4M', binary: fio, runtimeS: 1 })
    for (let i = 0; i < 200 && groupAlive(c.pid!); i++) await new Promise((r) => setTimeout(r, 50))
    expect(groupAlive(c.pid!), 'fio still running 10 s after a 1 s runtime').toBe(false)
    const r = await c.stop()
    expect(r.errors).toEqual([])
    expect(readdirSync(scratch)).toEqual([])
  })

  it(`removes its files and every fio process when the process running it gets SIGINT (${which})`, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fio-sigint-child.ts'), scratch, out, fio], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((res, rej) => {
      child.stdout!.once('data', (d) => res(String(d)))
      child.once('exit', (code) => rej(new Error(`Expected the child to report its fio dir, got exit ${code}`)))
    })
    const { workDir, pid } = JSON.parse(line) as { workDir: string; pid: number }
    expect(readdirSync(workDir).length).toBeGreaterThan(0)
    expect(alive(pid)).toBe(true)
    child.kill('SIGINT')
    const code = await new Promise((r) => child.once('exit', (c, s) => r(s ?? c)))
    expect(code).toBe('SIGINT')
    expect(existsSync(workDir)).toBe(false)
    // fio's workers share its process group: none of them may survive (they ignore SIGTERM).
    for (let i = 0; i < 100 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 50))
    expect(alive(pid)).toBe(false)
    expect(groupAlive(pid), `fio workers of group ${pid} survived the SIGINT`).toBe(false)
    for (let i = 0; i < 40 && processesNaming(out).length > 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(processesNaming(out), 'fio processes still naming the output dir after SIGINT').toEqual([])
  })

  it('kills every fio process when the process running it is SIGKILLed (no handler runs)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fio-sigint-child.ts'), scratch, out, fio], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((res, rej) => {
      child.stdout!.once('data', (d) => res(String(d)))
      child.once('exit', (code) => rej(new Error(`Expected the child to report its fio dir, got exit ${code}`)))
    })
    const { workDir, pid } = JSON.parse(line) as { workDir: string; pid: number }
    child.kill('SIGKILL')
    for (let i = 0; i < 200 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 50))
    expect(groupAlive(pid), `fio group ${pid} outlived its SIGKILLed parent`).toBe(false)
    for (let i = 0; i < 40 && processesNaming(out).length > 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(processesNaming(out), 'fio processes still naming the output dir after the parent was SIGKILLed').toEqual([])
    rmSync(workDir, { recursive: true, force: true }) // nobody could remove it: the parent was SIGKILLed
  })

  it('fails with ContentionUnavailableError when fio is missing, for an unknown profile and for an unsafe profile', async () => {
    const missing = startContention({ profile: 'heavy', scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock, binary: join(root, 'fio-not-installed') })
    await expect(missing).rejects.toThrow(ContentionUnavailableError)
    await expect(missing).rejects.toThrow(/got none \(apt-get install fio\)/)
    await expect(startContention({ profile: 'nope', scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock })).rejects.toThrow(/Expected fio profile .*nope\.fio/)
    const evilDir = join(root, 'profiles')
    mkdirSync(evilDir, { recursive: true })
    writeFileSync(join(evilDir, 'evil.fio'), '[x]\nfilename=/dev/vda\nrw=write\n')
    await expect(startContention({ profile: 'evil', profileDir: evilDir, scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock })).rejects.toThrow(/without filename=/)
    await expect(startContention({ profile: 'heavy', scratchDir: scratch, kvCacheDir: '/proc', outDir: out, clock, binary: fio })).rejects.toThrow(/st_dev/)
    expect(readdirSync(scratch)).toEqual([])
  })

  it('parses json+ that fio prefixed with its signal notice', () => {
    const j = { jobs: [{ elapsed: 3, error: 0, read: { io_bytes: 10, bw_bytes: 5, iops: 2, clat_ns: { mean: 1500, percentile: { '50.000000': 1000, '99.000000': 9000, '99.900000': 12000 } } }, write: { io_bytes: 0, bw_bytes: 0, iops: 0, clat_ns: { mean: 0 } } }] }
    const r = parseFioJson(`\nfio: terminating on signal 2\n${JSON.stringify(j)}`)
    expect(r.read).toEqual({ io_bytes: 10, bw_bytes_s: 5, iops: 2, clat_p50_us: 1, clat_p99_us: 9, clat_p999_us: 12, clat_mean_us: 1.5 })
    expect(r.write.clat_p99_us).toBeNull()
    expect(r.runtime_ms).toBe(3000)
  })
})
