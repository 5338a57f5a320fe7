import { realpathSync } from 'node:fs'
import { basename } from 'node:path'
import { execa } from 'execa'
import { type Collector, type CollectorOptions, DEFAULT_CADENCE_MS, type Sample, type Series, emptySeries } from './collector'
import { resolveBlockDevice } from './block-device-resolve'

// Drive identity and health before and after a run: `nvme smart-log/id-ctrl -o json`, else
// `smartctl -j -a`, and the PCIe link (LnkCap/LnkSta) from `lspci -vv`. Missing tools or a disk
// that is not NVMe (virtio, loop) are recorded as unavailable with the reason.
export interface NvmeHealthCapture extends Sample {
  when: 'before' | 'after'
  available: boolean
  reasons: string[]
  disk: string | null
  controller: string | null
  tool: 'nvme-cli' | 'smartctl' | null
  smart_log: Record<string, unknown> | null
  id_ctrl: Record<string, unknown> | null
  pcie: { address: string | null; lnk_cap: string | null; lnk_sta: string | null }
  capture_errors: string[]
}

export const parseLspciLink = (text: string): { lnk_cap: string | null; lnk_sta: string | null } => {
  const pick = (k: string) => {
    const m = new RegExp(`${k}:\\s*(.*)`).exec(text)
    if (!m) return null
    const speed = /Speed ([^,]+)/.exec(m[1])?.[1]?.trim()
    const width = /Width (x\d+)/.exec(m[1])?.[1]
    return speed || width ? `${speed ?? '?'} ${width ?? '?'}` : m[1].trim()
  }
  return { lnk_cap: pick('LnkCap'), lnk_sta: pick('LnkSta') }
}

/** SMART counters worth diffing (NVMe: data units are 512 000 bytes). */
export const smartCounters = (smart: Record<string, unknown> | null): Record<string, number | null> => {
  const s = (smart ?? {}) as Record<string, unknown>
  const nvmeLog = (s.nvme_smart_health_information_log ?? s) as Record<string, unknown>
  const num = (...ks: string[]) => {
    for (const k of ks) if (typeof nvmeLog[k] === 'number') return nvmeLog[k] as number
    return null
  }
  return {
    data_units_read: num('data_units_read'),
    data_units_written: num('data_units_written'),
    host_read_commands: num('host_read_commands', 'host_reads'),
    host_write_commands: num('host_write_commands', 'host_writes'),
    media_errors: num('media_errors'),
    percentage_used: num('percentage_used', 'percent_used'),
    temperature: num('temperature'),
  }
}

const have = async (bin: string) => (await execa('which', [bin], { reject: false })).exitCode === 0

export const captureNvmeHealth = async (dir: string | null, when: 'before' | 'after', base: Sample): Promise<NvmeHealthCapture> => {
  const cap: NvmeHealthCapture = {
    ...base, when, available: false, reasons: [], disk: null, controller: null, tool: null,
    smart_log: null, id_ctrl: null, pcie: { address: null, lnk_cap: null, lnk_sta: null }, capture_errors: [],
  }
  if (!dir) {
    cap.reasons.push('Expected a directory to resolve the drive from, got none')
    return cap
  }
  try {
    cap.disk = resolveBlockDevice(dir).disks[0] ?? null
  } catch (e) {
    cap.reasons.push((e as Error).message)
    return cap
  }
  const disk = cap.disk ?? ''
  if (!/^nvme\d+n\d+$/.test(disk)) cap.reasons.push(`Expected an NVMe namespace behind ${dir}, got ${disk} (virtio/SATA/loop: no NVMe health log)`)
  else cap.controller = disk.replace(/n\d+$/, '')
  try {
    cap.pcie.address = basename(realpathSync(`/sys/block/${disk}/device/device`))
  } catch {
    try {
      cap.pcie.address = basename(realpathSync(`/sys/block/${disk}/device`))
    } catch {
      cap.pcie.address = null
    }
  }
  const run = async (bin: string, args: string[]) => {
    const r = await execa(bin, args, { reject: false, timeout: 15_000 })
    if (r.exitCode !== 0) {
      cap.capture_errors.push(`Expected \`${bin} ${args.join(' ')}\` to exit 0, got ${r.exitCode}: ${String(r.stderr).slice(0, 200)}`)
      return null
    }
    return String(r.stdout)
  }
  const json = (s: string | null) => {
    try {
      return s ? (JSON.parse(s) as Record<string, unknown>) : null
    } catch {
      return null
    }
  }
  if (cap.controller) {
    if (await have('nvme')) {
      cap.smart_log = json(await run('nvme', ['smart-log', `/dev/${cap.controller}`, '-o', 'json']))
      cap.id_ctrl = json(await run('nvme', ['id-ctrl', `/dev/${cap.controller}`, '-o', 'json']))
      if (cap.smart_log) cap.tool = 'nvme-cli'
    } else cap.reasons.push('Expected nvme-cli (`nvme`) on PATH, got none')
    if (!cap.smart_log) {
      if (await have('smartctl')) {
        const j = json(await run('smartctl', ['-j', '-a', `/dev/${cap.controller}`]))
        if (j) {
          cap.tool = 'smartctl'
          cap.smart_log = j
          cap.id_ctrl = { model_name: j.model_name, serial_number: j.serial_number, firmware_version: j.firmware_version }
        }
      } else cap.reasons.push('Expected smartctl on PATH as a fallback, got none')
    }
  }
  if (cap.pcie.address && /^[0-9a-f]{4}:[0-9a-f]{2}:/.test(cap.pcie.address)) {
    if (await have('lspci')) Object.assign(cap.pcie, parseLspciLink((await run('lspci', ['-vv', '-s', cap.pcie.address])) ?? ''))
    else cap.reasons.push('Expected lspci on PATH for the PCIe link, got none')
  }
  cap.available = cap.smart_log !== null
  return cap
}

export interface NvmeHealthOptions extends CollectorOptions<NvmeHealthCapture> {
  dir: string | null
}

/** A collector that captures once at start and once at stop (no cadence). */
export const createNvmeHealthCollector = (opts: NvmeHealthOptions): Collector<NvmeHealthCapture> => {
  const series: Series<NvmeHealthCapture> = emptySeries('nvme_health', opts.cadenceMs ?? DEFAULT_CADENCE_MS)
  let state: 'idle' | 'running' | 'stopped' = 'idle'
  // Unavailable (no NVMe, no tools) records nothing; the reason lives in available().
  let usable = false
  const base = () => ({ t_ms: opts.clock.nowMs(), wall_ms: opts.clock.wallMs() })
  const capture = async (when: 'before' | 'after') => {
    const c = await captureNvmeHealth(opts.dir, when, base())
    series.samples.push(c)
    opts.onSample?.(c)
    return c
  }
  return {
    name: 'nvme_health',
    available: async () => {
      const c = await captureNvmeHealth(opts.dir, 'before', base())
      return c.available ? { available: true } : { available: false, reason: c.reasons.join('; ') || c.capture_errors.join('; ') }
    },
    async start() {
      if (state !== 'idle') return
      state = 'running'
      const c = await captureNvmeHealth(opts.dir, 'before', base())
      usable = c.available
      if (usable) {
        series.samples.push(c)
        opts.onSample?.(c)
      }
    },
    async stop() {
      if (state === 'running') {
        state = 'stopped'
        if (usable) await capture('after')
      }
      state = 'stopped'
      return series
    },
    snapshot: async () => smartCounters((await captureNvmeHealth(opts.dir, 'after', base())).smart_log),
  }
}
