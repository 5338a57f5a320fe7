import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createProcessIoCollector, parseCgroupIoStat, parseProcIo } from '../../../helpers/telemetry/process-io'
import { descendants, listProcesses, parseProcStat } from '../../../helpers/telemetry/process-tree'
import { writeDirect } from '../../../helpers/storage/o-direct'
import { conformanceClock, testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-procio-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})
const sleeper = spawn('sleep', ['60'])
children.push(sleeper)

testCollector('process_io', (a) => createProcessIoCollector({ ...a, pids: [sleeper.pid!] }), { expectAvailable: true })
testCollector('process_io without pids', (a) => createProcessIoCollector({ ...a, pids: [] }), { expectAvailable: false })

describe('process IO collector', () => {
  it('counts an O_DIRECT read by a child of the target in read_bytes', async () => {
    const file = join(dir, 'data.bin')
    const bytes = 8 << 20
    writeDirect(file, bytes)
    // The target is a shell; the reader is its child, reaped by it before the shell sleeps on.
    const sh = spawn('sh', ['-c', `sleep 0.4; dd if=${file} of=/dev/null bs=1M iflag=direct 2>/dev/null; exec sleep 5`])
    children.push(sh)
    const c = createProcessIoCollector({ clock: conformanceClock(), cadenceMs: 50, pids: [sh.pid!] })
    await c.start()
    const before = await c.snapshot()
    // Wait for the shell to run and reap dd (slow on a loaded machine), at most 10 s.
    let after = await c.snapshot()
    for (let i = 0; i < 100 && after.read_bytes! - before.read_bytes! < bytes; i++) {
      await new Promise((r) => setTimeout(r, 100))
      after = await c.snapshot()
    }
    await c.stop()
    expect(after.read_bytes! - before.read_bytes!).toBeGreaterThanOrEqual(bytes)
    // Counted once: not both in the exited child and in its parent.
    expect(after.read_bytes! - before.read_bytes!).toBeLessThan(2 * bytes)
    expect(after.rchar! - before.rchar!).toBeGreaterThanOrEqual(bytes)
    sh.kill('SIGKILL')
  })

  it('finds descendants of the target through /proc ppid links', async () => {
    const sh = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'])
    children.push(sh)
    await new Promise((r) => setTimeout(r, 300))
    const tree = descendants([sh.pid!], listProcesses())
    expect(tree.map((p) => p.comm).filter((c) => c === 'sleep').length).toBe(2)
    sh.kill('SIGKILL')
  })

  it('reports cgroup io as null when there is no cgroup v2 io.stat, never 0', async () => {
    const c = createProcessIoCollector({ clock: conformanceClock(), pids: [sleeper.pid!] })
    const snap = await c.snapshot()
    const hasV2 = (await import('node:fs')).existsSync('/sys/fs/cgroup/cgroup.controllers')
    if (!hasV2) expect(snap.cgroup_rbytes).toBeNull()
    else expect(typeof snap.cgroup_rbytes === 'number' || snap.cgroup_rbytes === null).toBe(true)
  })

  it('parses /proc/<pid>/io, io.stat and stat lines with odd process names', () => {
    expect(parseProcIo('rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n')).toEqual({ read_bytes: 4096, write_bytes: 8192, rchar: 10, wchar: 20, syscr: 1, syscw: 2 })
    expect(parseCgroupIoStat('259:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=1 wbytes=1 rios=1 wios=1\n', ['259:0'])).toEqual({ rbytes: 100, wbytes: 200, rios: 1, wios: 2 })
    expect(parseProcStat(7, '7 (a (b) c) S 3 7 7 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0')).toMatchObject({ comm: 'a (b) c', ppid: 3, starttime: 12345 })
  })
})
