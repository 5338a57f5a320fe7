import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { groupAlive, killGroup, reapGroup, watchChildGroup } from '../../../helpers/suite/child-watchdog'

const until = async (ok: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50))
  return ok()
}

describe('child watchdog', () => {
  it('kills a detached child group within seconds of its parent being SIGKILLed', async () => {
    // The parent is a separate node process that starts `sh -c "sleep 120 & sleep 120"` in its own
    // group with a watchdog, prints the group id, then waits to be killed.
    const code = `
      const { spawn } = require('node:child_process')
      const c = spawn('/bin/sh', ['-c', 'sleep 120 & sleep 120'], { detached: true, stdio: 'ignore' })
      require(${JSON.stringify(join(import.meta.dirname, 'child-watchdog-load.cjs'))})(c.pid)
      console.log(c.pid)
      setInterval(() => {}, 1000)`
    const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pgid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d) => r(String(d)))))
    expect(groupAlive(pgid)).toBe(true)
    parent.kill('SIGKILL')
    expect(await until(() => !groupAlive(pgid), 8000), `group ${pgid} outlived its parent`).toBe(true)
  })

  it('leaves the group alone while the parent lives, and the watchdog exits once the group is gone', async () => {
    const c = spawn('/bin/sh', ['-c', 'sleep 120 & sleep 120'], { detached: true, stdio: 'ignore' })
    const w = watchChildGroup(c.pid!, process.pid, 0.2)!
    await new Promise((r) => setTimeout(r, 600))
    expect(groupAlive(c.pid!)).toBe(true)
    killGroup(c.pid!, 'SIGTERM')
    expect(await reapGroup(c.pid!)).toBe(true)
    expect(await until(() => !groupAlive(w), 3000), 'the watchdog outlived the group it watched').toBe(true)
  })
})
