import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hostPidForContainerPid } from '../../../helpers/target/dynamo-host-pids'

// A fake /proc tree: two containers each with a pid 4242 in their own namespace, plus a host process.
let root: string
const proc = (pid: number, nspid: number[], cgroup: string) => {
  mkdirSync(join(root, String(pid)))
  writeFileSync(join(root, String(pid), 'status'), `Name:\tpython3\nPid:\t${pid}\nNSpid:\t${nspid.join('\t')}\n`)
  writeFileSync(join(root, String(pid), 'cgroup'), cgroup)
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tierbench-fake-proc-'))
  proc(1000, [1000], '0::/user.slice\n')
  proc(5001, [5001, 4242], '0::/system.slice/docker-aaaa1111.scope\n')
  proc(6001, [6001, 4242], '0::/system.slice/docker-bbbb2222.scope\n')
  mkdirSync(join(root, 'self'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('hostPidForContainerPid', () => {
  test('maps a container pid to the host pid of the process in that container', () => {
    expect(hostPidForContainerPid(4242, 'aaaa1111', root)).toBe(5001)
    expect(hostPidForContainerPid(4242, 'bbbb2222', root)).toBe(6001)
  })

  test('is null when the mapping is ambiguous or absent, never a guess', () => {
    expect(hostPidForContainerPid(4242, null, root)).toBeNull()
    expect(hostPidForContainerPid(7, 'aaaa1111', root)).toBeNull()
    expect(hostPidForContainerPid(1000, null, root)).toBeNull()
    expect(hostPidForContainerPid(4242, 'aaaa1111', join(root, 'missing'))).toBeNull()
  })

  test('on the real /proc, a process in this namespace has no child-namespace pid to map', () => {
    // Outside a container the NSpid line has one entry, so there is nothing to map.
    expect(hostPidForContainerPid(process.pid, null)).toBeNull()
  })
})
