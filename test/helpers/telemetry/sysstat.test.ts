import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { groupAlive } from '../../../helpers/suite/child-watchdog'
import { createSysstatCollector } from '../../../helpers/telemetry/sysstat'
import { conformanceClock, testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-sysstat-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const onPath = (bin: string) => {
  try {
    return execFileSync('which', [bin], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}
// Both paths run on every machine: the absent path with binaries that do not exist, the present
// path with the real sysstat where installed (CI's .ci/run installs it) and with shell stand-ins of
// the same output shape otherwise, so the collector's own behaviour is always under test.
const FAKE = join(import.meta.dirname, '../../fixtures/fake-sysstat')
const real = onPath('iostat') && onPath('pidstat') && onPath('mpstat')
const present = real ? {} : { iostat: join(FAKE, 'iostat'), pidstat: join(FAKE, 'pidstat'), mpstat: join(FAKE, 'mpstat') }
const absent = { iostat: join(dir, 'no-iostat'), pidstat: join(dir, 'no-pidstat'), mpstat: join(dir, 'no-mpstat') }
const label = real ? 'real sysstat' : 'sysstat stand-ins'

testCollector(`sysstat (${label})`, (a) => createSysstatCollector({ ...a, telemetryDir: mkdtempSync(join(dir, 'c-')), disks: [], pids: [process.pid], binaries: present }), {
  expectAvailable: true,
  periodic: false,
})
testCollector('sysstat (not installed)', (a) => createSysstatCollector({ ...a, telemetryDir: join(dir, 'absent'), disks: [], pids: [process.pid], binaries: absent }), {
  expectAvailable: false,
  periodic: false,
})

describe('sysstat logs', () => {
  it(`runs iostat -x, pidstat and mpstat into telemetry files and kills them on stop (${label})`, async () => {
    const own = mkdtempSync(join(dir, 'run-'))
    const c = createSysstatCollector({ clock: conformanceClock(), telemetryDir: own, disks: [], pids: [process.pid], binaries: present })
    await c.start()
    await new Promise((r) => setTimeout(r, 1500))
    const pids = c.pids
    expect(pids.length).toBe(3)
    await c.stop()
    expect(c.files.map((f) => f.slice(own.length + 1)).sort()).toEqual(['iostat.log', 'mpstat.log', 'pidstat.log'])
    expect(readFileSync(join(own, 'iostat.log'), 'utf8')).toMatch(/r\/s/)
    expect(readFileSync(join(own, 'mpstat.log'), 'utf8')).toMatch(/%iowait/)
    for (const pid of pids) expect(groupAlive(pid), `tool group ${pid} still alive after stop`).toBe(false)
  })

  it('writes no log files and no sample when sysstat is not installed, and says how to install it', async () => {
    const own = join(dir, 'absent-run')
    const seen: unknown[] = []
    const c = createSysstatCollector({ clock: conformanceClock(), telemetryDir: own, disks: [], pids: [process.pid], binaries: absent, onSample: (s) => seen.push(s) })
    expect((await c.available()).reason).toMatch(/apt-get install sysstat/)
    await c.start()
    const s = await c.stop()
    expect(s.samples).toEqual([])
    expect(seen).toEqual([])
    expect(c.files).toEqual([])
    expect(readdirSync(dir)).not.toContain('absent-run')
  })
})
