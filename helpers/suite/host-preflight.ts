import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'

// How much of this host is free before a run: load average per core, CPU busy and steal from
// /proc/stat, and this process's event-loop delay. A host that is already busy makes the harness
// itself slow (CLIENT_BOTTLENECK, ALIGNMENT_LOW): the user is told before the run, not after.

export interface HostLoad {
  cores: number
  loadavg_1m: number
  load_per_core: number
  /** Share of CPU time not idle/iowait over the sample, all cores; null without /proc/stat. */
  cpu_busy_pct: number | null
  /** Share of CPU time stolen by the hypervisor over the sample; null without /proc/stat. */
  cpu_steal_pct: number | null
  event_loop_delay_p99_ms: number
  sample_ms: number
}

export interface HostLoadLimits {
  load_per_core: number
  cpu_busy_pct: number
  cpu_steal_pct: number
  event_loop_delay_p99_ms: number
}

export const DEFAULT_HOST_LIMITS: HostLoadLimits = { load_per_core: 1.0, cpu_busy_pct: 75, cpu_steal_pct: 10, event_loop_delay_p99_ms: 25 }

/** Aggregate `cpu` line of /proc/stat: [total, idle+iowait, steal] jiffies, or null. */
export const readCpuTimes = (text?: string): [number, number, number] | null => {
  try {
    const line = (text ?? readFileSync('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu '))
    if (!line) return null
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal guest guest_nice: guests are inside user/nice.
    const total = v.slice(0, 8).reduce((a, b) => a + (b || 0), 0)
    return [total, (v[3] || 0) + (v[4] || 0), v[7] || 0]
  } catch {
    return null
  }
}

export const measureHostLoad = async (sampleMs = 500): Promise<HostLoad> => {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  const a = readCpuTimes()
  await new Promise((r) => setTimeout(r, sampleMs))
  const b = readCpuTimes()
  h.disable()
  const cores = availableParallelism()
  const l1 = loadavg()[0]
  const dt = a && b ? b[0] - a[0] : 0
  const round = (x: number) => Math.round(x * 10) / 10
  return {
    cores,
    loadavg_1m: round(l1),
    load_per_core: round(l1 / cores),
    cpu_busy_pct: a && b && dt > 0 ? round(100 * (1 - (b[1] - a[1]) / dt)) : null,
    cpu_steal_pct: a && b && dt > 0 ? round((100 * (b[2] - a[2])) / dt) : null,
    event_loop_delay_p99_ms: round(h.percentile(99) / 1e6),
    sample_ms: sampleMs,
  }
}

/** Why this host is too busy for valid timing, one phrase per limit exceeded (empty when fine). */
export const hostLoadProblems = (h: HostLoad, limits: HostLoadLimits = DEFAULT_HOST_LIMITS): string[] => [
  ...(h.load_per_core > limits.load_per_core ? [`load average ${h.loadavg_1m} on ${h.cores} cores`] : []),
  ...(h.cpu_busy_pct !== null && h.cpu_busy_pct > limits.cpu_busy_pct ? [`CPU ${h.cpu_busy_pct} % busy beforehand`] : []),
  ...(h.cpu_steal_pct !== null && h.cpu_steal_pct > limits.cpu_steal_pct ? [`${h.cpu_steal_pct} % CPU steal`] : []),
  ...(h.event_loop_delay_p99_ms > limits.event_loop_delay_p99_ms ? [`event-loop delay p99 ${h.event_loop_delay_p99_ms} ms`] : []),
]

/** The warning printed before a run on a busy host, or null. */
export const hostLoadWarning = (h: HostLoad, limits?: HostLoadLimits): string | null => {
  const p = hostLoadProblems(h, limits)
  return p.length === 0
    ? null
    : `tierbench: warning: this host is busy (${p.join(', ')}); timing gates (CLIENT_BOTTLENECK, ALIGNMENT_LOW) may fail because of the host, not the product. Stop other jobs for a valid run.`
}
