import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

// Who listens on a TCP port, from procfs: the listening socket's inode in /proc/net/tcp{,6}, then
// the process holding an fd on `socket:[inode]`. A PORT_CONFLICT names that process, so a user can
// see the orphaned executor of an earlier mode instead of guessing. Processes this user cannot
// inspect are skipped (the holder is then reported as unknown, never guessed).

export interface PortHolder {
  pid: number
  cmdline: string
}

const LISTEN = '0A'

/** Inodes of sockets listening on `port` (IPv4 and IPv6). */
export const listeningInodes = (port: number, procRoot = '/proc'): Set<string> => {
  const out = new Set<string>()
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(`${procRoot}/${table}`, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== LISTEN) continue
      if (f[1].split(':')[1] === hex) out.add(f[9])
    }
  }
  return out
}

/** The process listening on `port`, or null when none is found (or none can be inspected). */
export const portHolder = (port: number, procRoot = '/proc'): PortHolder | null => {
  const inodes = listeningInodes(port, procRoot)
  if (inodes.size === 0) return null
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`))
  let pids: string[] = []
  try {
    pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n))
  } catch {
    return null
  }
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let target: string
      try {
        target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      if (!wanted.has(target)) continue
      let cmdline = ''
      try {
        cmdline = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      } catch {
        // exited meanwhile
      }
      return { pid: Number(pid), cmdline }
    }
  }
  return null
}
