import { readFileSync, readdirSync } from 'node:fs'

// The target's processes and all their descendants, found by walking /proc/*/stat ppid links.
// Each process is keyed by pid + start time so a recycled pid is never mistaken for the old one.
export interface ProcEntry {
  pid: number
  ppid: number
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot). */
  starttime: number
  comm: string
}

export const parseProcStat = (pid: number, text: string): ProcEntry | null => {
  // comm may contain spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')')
  if (close < 0) return null
  const rest = text.slice(close + 2).split(' ')
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(rest[1]), starttime: Number(rest[19]) }
}

export const listProcesses = (procRoot = '/proc'): ProcEntry[] => {
  const out: ProcEntry[] = []
  for (const d of readdirSync(procRoot)) {
    if (!/^\d+$/.test(d)) continue
    try {
      const e = parseProcStat(Number(d), readFileSync(`${procRoot}/${d}/stat`, 'utf8'))
      if (e) out.push(e)
    } catch {
      // exited between readdir and read
    }
  }
  return out
}

export const descendants = (roots: number[], all: ProcEntry[]): ProcEntry[] => {
  const byParent = new Map<number, ProcEntry[]>()
  for (const e of all) byParent.set(e.ppid, [...(byParent.get(e.ppid) ?? []), e])
  const seen = new Set<number>()
  const out: ProcEntry[] = []
  const queue = all.filter((e) => roots.includes(e.pid))
  while (queue.length) {
    const e = queue.shift()!
    if (seen.has(e.pid)) continue
    seen.add(e.pid)
    out.push(e)
    queue.push(...(byParent.get(e.pid) ?? []))
  }
  return out
}

/**
 * Descendants with the /proc walk reused for `ttlMs`: walking every /proc/<pid>/stat at 5 Hz
 * was most of the process collectors' CPU cost. A child that lives shorter than the TTL is
 * still counted, through its parent, which absorbs its IO counters when it reaps it.
 */
export const createDescendantsCache = (ttlMs = 1000) => {
  let at = Number.NEGATIVE_INFINITY
  let all: ProcEntry[] = []
  return (roots: number[]): ProcEntry[] => {
    const now = performance.now()
    if (now - at > ttlMs) {
      all = listProcesses()
      at = now
    }
    return descendants(roots, all)
  }
}
