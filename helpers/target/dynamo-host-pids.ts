import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// A pid from `docker exec … cat worker.pid` is a pid in the container's namespace; the IO
// collectors read the host's /proc. The host pid is the one whose NSpid line ends with the
// container pid, and whose cgroup names the container (two containers can both have a pid 4242).

export const hostPidForContainerPid = (containerPid: number, containerId: string | null, procRoot = '/proc'): number | null => {
  let entries: string[]
  try {
    entries = readdirSync(procRoot).filter((n) => /^\d+$/.test(n))
  } catch {
    return null
  }
  const matches: number[] = []
  for (const name of entries) {
    let status: string
    try {
      status = readFileSync(join(procRoot, name, 'status'), 'utf8')
    } catch {
      continue
    }
    const ns = /^NSpid:\s*(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number)
    if (!ns || ns.length < 2 || ns[ns.length - 1] !== containerPid) continue
    if (containerId) {
      let cgroup = ''
      try {
        cgroup = readFileSync(join(procRoot, name, 'cgroup'), 'utf8')
      } catch {
        continue
      }
      if (!cgroup.includes(containerId)) continue
    }
    matches.push(Number(name))
  }
  // Ambiguous (no container id and several containers): better no host pid than someone else's.
  return matches.length === 1 ? matches[0] : null
}
