import { readFileSync, readdirSync } from 'node:fs'

// External targets name their serving processes by a pattern (`process_pattern`), matched against
// each process's command line (NUL separators read as spaces), so process IO can be attributed to
// a server tierbench did not start. This process and its ancestors never match (a pattern that
// appears in our own argv must not attribute the harness's IO to the server).

export const pidsMatching = (pattern: string, procRoot = '/proc'): number[] => {
  let re: RegExp
  try {
    re = new RegExp(pattern)
  } catch (err) {
    throw new Error(`Expected target.process_pattern to be a regular expression, got ${JSON.stringify(pattern)}: ${(err as Error).message}`)
  }
  const own = new Set([process.pid, process.ppid])
  const out: number[] = []
  for (const d of readdirSync(procRoot)) {
    if (!/^\d+$/.test(d) || own.has(Number(d))) continue
    try {
      const cmd = readFileSync(`${procRoot}/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
      if (cmd && re.test(cmd)) out.push(Number(d))
    } catch {
      // exited between readdir and read, or not ours to read
    }
  }
  return out
}
