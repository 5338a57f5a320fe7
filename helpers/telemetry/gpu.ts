import { execa, type ResultPromise } from 'execa'
import { type Collector, type CollectorOptions, DEFAULT_CADENCE_MS, type Sample, type Series, emptySeries } from './collector'
import { GPU_QUERY_FIELDS, parseNvidiaSmiCsv } from './nvidia-smi-parser'

// GPU telemetry from one long-running `nvidia-smi --query-gpu … -lms <cadence>`; no nvidia-smi
// means unavailable (a reason, not an error). Each printed line is a sample per GPU.
export interface GpuSample extends Sample {
  gpu: number
  utilization_gpu_pct: number | null
  memory_used_mib: number | null
  memory_total_mib: number | null
  power_draw_w: number | null
  clocks_sm_mhz: number | null
  clocks_mem_mhz: number | null
  temperature_gpu_c: number | null
}

export const gpuSampleFromRecord = (r: Record<string, number | string | null>, gpu: number, base: Sample): GpuSample => {
  const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null)
  return {
    ...base,
    gpu,
    utilization_gpu_pct: n('utilization.gpu'),
    memory_used_mib: n('memory.used'),
    memory_total_mib: n('memory.total'),
    power_draw_w: n('power.draw'),
    clocks_sm_mhz: n('clocks.sm') ?? n('clocks.current.sm'),
    clocks_mem_mhz: n('clocks.mem') ?? n('clocks.current.memory'),
    temperature_gpu_c: n('temperature.gpu'),
  }
}

export interface GpuOptions extends CollectorOptions<GpuSample> {
  /** @default 'nvidia-smi' */
  binary?: string
}

export const createGpuCollector = (opts: GpuOptions): Collector<GpuSample> => {
  const cadence = opts.cadenceMs ?? DEFAULT_CADENCE_MS
  const bin = opts.binary ?? 'nvidia-smi'
  const series: Series<GpuSample> = emptySeries('gpu', cadence)
  const args = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits']
  let proc: ResultPromise | null = null
  let state: 'idle' | 'running' | 'stopped' = 'idle'
  let gpuIndex = 0
  let last: GpuSample | null = null
  const available = async () => {
    try {
      await execa(bin, ['-L'], { timeout: 10_000 })
      return { available: true }
    } catch (e) {
      const err = e as { code?: string; shortMessage?: string }
      return { available: false, reason: err.code === 'ENOENT' ? `Expected ${bin} on PATH, got none (no NVIDIA driver here)` : `Expected ${bin} -L to succeed, got ${err.shortMessage ?? String(e)}` }
    }
  }
  return {
    name: 'gpu',
    available,
    async start() {
      if (state !== 'idle') return
      state = 'running'
      if (!(await available()).available) return
      proc = execa(bin, [...args, `-lms`, String(cadence)], { buffer: false, reject: false })
      let buf = ''
      let lastT = -1
      proc.stdout?.on('data', (chunk: Buffer) => {
        buf += chunk.toString()
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          if (!line.trim()) continue
          try {
            const [rec] = parseNvidiaSmiCsv(line, GPU_QUERY_FIELDS)
            const t = opts.clock.nowMs()
            // The index field says which GPU; a new poll starts at GPU 0 (jitter vs the last poll).
            gpuIndex = typeof rec.index === 'number' ? rec.index : 0
            if (gpuIndex === 0 && lastT >= 0) series.jitter_ms.push(Math.abs(t - lastT - cadence))
            if (gpuIndex === 0) lastT = t
            const s = gpuSampleFromRecord(rec, gpuIndex, { t_ms: t, wall_ms: opts.clock.wallMs() })
            if (opts.retainSamples !== false) series.samples.push(s)
            last = s
            opts.onSample?.(s)
          } catch (e) {
            if (series.errors.length < 100) series.errors.push((e as Error).message)
          }
        }
      })
    },
    async stop() {
      if (state === 'running' && proc) {
        proc.kill('SIGTERM')
        await proc.catch(() => undefined)
      }
      state = 'stopped'
      return series
    },
    async snapshot() {
      const keys = ['power_draw_w', 'memory_used_mib', 'utilization_gpu_pct']
      if (!last) return Object.fromEntries(keys.map((k) => [k, null]))
      return { power_draw_w: last.power_draw_w, memory_used_mib: last.memory_used_mib, utilization_gpu_pct: last.utilization_gpu_pct }
    },
  }
}
