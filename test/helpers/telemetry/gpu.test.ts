import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createGpuCollector } from '../../../helpers/telemetry/gpu'
import { GPU_QUERY_FIELDS, parseNvidiaSmiCsv, parseNvidiaSmiDmon, parseNvidiaSmiXml } from '../../../helpers/telemetry/nvidia-smi-parser'
import { conformanceClock, testCollector } from './collector-conformance'

const FIX = '/work/shared/fixtures/real/nvidia-smi'
const tmp = mkdtempSync(join(tmpdir(), 'tb-gpu-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

// A stand-in nvidia-smi (a real process) that prints what a GB10 prints: [N/A] for framebuffer memory.
const fake = join(tmp, 'nvidia-smi')
writeFileSync(
  fake,
  `#!/bin/sh\nif [ "$1" = "-L" ]; then echo "GPU 0: NVIDIA GB10 (UUID: GPU-x)"; exit 0; fi\nwhile true; do echo "0, 37, [N/A], [N/A], 11.52, 2405, [N/A], 44"; sleep 0.1; done\n`,
)
chmodSync(fake, 0o755)

testCollector('gpu (no nvidia-smi here)', (a) => createGpuCollector({ ...a, binary: 'nvidia-smi-not-installed' }), { expectAvailable: false })
testCollector('gpu (stand-in nvidia-smi)', (a) => createGpuCollector({ ...a, binary: fake }), { expectAvailable: true, periodic: false })

describe('GPU collector', () => {
  it('reports no nvidia-smi as unavailable with a reason, not an error', async () => {
    const a = await createGpuCollector({ clock: conformanceClock() }).available()
    expect(a.available).toBe(false)
    expect(a.reason).toMatch(/nvidia-smi/)
  })

  it('streams samples from a long-running nvidia-smi and records [N/A] as null', async () => {
    const c = createGpuCollector({ clock: conformanceClock(), cadenceMs: 100, binary: fake })
    await c.start()
    await new Promise((r) => setTimeout(r, 600))
    const { samples } = await c.stop()
    expect(samples.length).toBeGreaterThanOrEqual(3)
    expect(samples[0]).toMatchObject({ gpu: 0, utilization_gpu_pct: 37, memory_used_mib: null, memory_total_mib: null, power_draw_w: 11.52, clocks_sm_mhz: 2405, clocks_mem_mhz: null, temperature_gpu_c: 44 })
  })
})

describe('nvidia-smi parsers on real captures', () => {
  it('parses --query-gpu CSV with a header and units', () => {
    const [r] = parseNvidiaSmiCsv(readFileSync(join(FIX, 'nvidia-smi-query.csv'), 'utf8'))
    expect(r).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', index: 0, 'utilization.gpu': 0, 'memory.used': 0, 'memory.total': 81559, 'power.draw': 73.91, 'temperature.gpu': 42, 'clocks.current.sm': 345 })
  })

  it('parses noheader,nounits lines with Not Supported and [N/A] as null', () => {
    const rows = parseNvidiaSmiCsv('1, 12, Not Supported, [N/A], 5.00, 1000, 500, 40\n', GPU_QUERY_FIELDS)
    expect(rows[0]).toEqual({ index: 1, 'utilization.gpu': 12, 'memory.used': null, 'memory.total': null, 'power.draw': 5, 'clocks.sm': 1000, 'clocks.mem': 500, 'temperature.gpu': 40 })
  })

  it('parses dmon output by its header', () => {
    const rows = parseNvidiaSmiDmon(readFileSync(join(FIX, 'nvidia-smi-dmon.txt'), 'utf8'))
    expect(rows).toHaveLength(5)
    expect(rows[0]).toMatchObject({ gpu: 0, pwr: 133, gtemp: 44, mclk: 2619, pclk: 1980 })
  })

  it('reads identity fields from the -q -x XML', () => {
    const x = parseNvidiaSmiXml(readFileSync(join(FIX, 'nvidia-smi-q.xml'), 'utf8'))
    expect(x.product_name).toMatch(/H100/)
    expect(x.driver_version).toBe('580.159.04')
    expect(x.memory_total_mib).toBeGreaterThan(80000)
  })
})
