import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

// Children started in their own process group (execa `detached: true`) are not reached by a
// terminal's Ctrl-C and do not die with us on SIGKILL. Two tools keep them from outliving us:
// killGroup signals the whole group (fio forks one worker per job; killing only the leader leaves
// the workers running), and watchChildGroup starts a tiny sh loop that polls our pid and kills the
// group when we are gone — Linux has no PR_SET_PDEATHSIG from Node. The loop ends on its own once
// the group is gone, so it never outlives the child either.

/** Sends `signal` to the process group led by `pid` (falls back to the pid alone). Never throws. */
export const killGroup = (pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void => {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

/** True while any process of the group led by `pgid` exists. */
export const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Kills process group `pgid` with SIGKILL within ~`pollS` seconds of `parentPid` dying.
 * Returns the watchdog's pid.
 */
export const watchChildGroup = (pgid: number, parentPid: number = process.pid, pollS = 1, marker?: string): number | undefined => {
  // fio's job processes call setsid(): they leave the group, so they are also found by a marker
  // unique to this child's command line (its output path) and killed with it.
  const q = marker ? `'${marker.replace(/'/g, `'\\''`)}'` : null
  const alive = q ? `{ kill -0 -${pgid} 2>/dev/null || pgrep -f -- ${q} >/dev/null 2>&1; }` : `kill -0 -${pgid} 2>/dev/null`
  const kill = q ? `{ kill -KILL -${pgid} 2>/dev/null; pkill -KILL -f -- ${q} 2>/dev/null; }` : `kill -KILL -${pgid} 2>/dev/null`
  const script = `while kill -0 ${parentPid} 2>/dev/null && ${alive}; do sleep ${pollS}; done; kill -0 ${parentPid} 2>/dev/null || ${kill}; exit 0`
  const w = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' })
  w.on('error', () => undefined)
  w.unref()
  return w.pid
}

/** SIGKILLs every process (but this one) whose command line contains `marker`; returns their pids. Never throws. */
export const killProcessesNaming = (marker: string): number[] => {
  const killed: number[] = []
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    return killed
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) continue
      process.kill(Number(d), 'SIGKILL')
      killed.push(Number(d))
    } catch {
      // gone, or not ours to read
    }
  }
  return killed
}

/** Waits up to `graceMs` for group `pgid` to be gone, then SIGKILLs what is left and waits again. */
export const reapGroup = async (pgid: number, graceMs = 2000): Promise<boolean> => {
  const wait = async (ms: number) => {
    for (const end = Date.now() + ms; groupAlive(pgid) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20))
    return !groupAlive(pgid)
  }
  if (await wait(graceMs)) return true
  killGroup(pgid, 'SIGKILL')
  return wait(graceMs)
}
