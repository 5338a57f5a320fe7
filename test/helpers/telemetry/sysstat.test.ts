import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSysstatCollector } from '../../../helpers/telemetry/sysstat'
import { conformanceClock, testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-sysstat-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

testCollector('sysstat', (a) => createSysstatCollector({ ...a, telemetryDir: dir, disks: [], pids: [process.pid] }), { expectAvailable: existsSync('/usr/bin/iostat'), periodic: false })

describe('sysstat logs', () => {
  it('runs iostat -x, pidstat and mpstat into telemetry files and kills them on stop', async () => {
    const own = mkdtempSync(join(dir, 'run-'))
    const c = createSysstatCollector({ clock: conformanceClock(), telemetryDir: own, disks: [], pids: [process.pid] })
    await c.start()
    await new Promise((r) => setTimeout(r, 1500))
    await c.stop()
    expect(c.files.map((f) => f.slice(own.length + 1)).sort()).toEqual(['iostat.log', 'mpstat.log', 'pidstat.log'])
    expect(readFileSync(join(own, 'iostat.log'), 'utf8')).toMatch(/r\/s/)
    expect(readFileSync(join(own, 'mpstat.log'), 'utf8')).toMatch(/%iowait/)
  })
})
