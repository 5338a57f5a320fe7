import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas'
import type { ChartConfiguration } from 'chart.js'
import { afterAll, describe, expect, test } from 'vitest'
import { ensureChartFont, renderChart } from '../../../reporters/charts/chart-canvas'
import { decimateMax } from '../../../reporters/charts/figure-charts'
import { pngInfo } from '../png-info'

const dir = mkdtempSync(join(tmpdir(), 'tierbench-chart-canvas-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const config = (): ChartConfiguration => ({
  type: 'line',
  data: { datasets: [{ label: 'B2', data: [{ x: 0, y: 1 }, { x: 10, y: 5 }], borderColor: '#d62728' }] },
  options: { scales: { x: { type: 'linear', title: { display: true, text: 'time (s)' } }, y: { type: 'linear' } }, plugins: { title: { display: true, text: 'test chart' } } },
})

// Share of reddish pixels (the watermark colour) in the middle third of the image.
const reddish = async (png: Buffer): Promise<number> => {
  const img = await loadImage(png)
  const c = createCanvas(img.width, img.height)
  const ctx = c.getContext('2d')
  ctx.drawImage(img, 0, 0)
  const d = ctx.getImageData(Math.floor(img.width / 3), Math.floor(img.height / 3), Math.floor(img.width / 3), Math.floor(img.height / 3)).data
  let n = 0
  for (let i = 0; i < d.length; i += 4) if (d[i]! > d[i + 1]! + 15 && d[i]! > d[i + 2]! + 15) n++
  return n / (d.length / 4)
}

describe('renderChart', () => {
  test('renders a real PNG of the requested size', () => {
    const { png } = renderChart(config(), { width: 640, height: 360, emulated: false })
    const p = join(dir, 'plain.png')
    writeFileSync(p, png)
    expect(pngInfo(p)).toEqual({ isPng: true, width: 640, height: 360 })
  })

  test('an emulated chart takes the watermark path and shows red pixels where a plain one does not', async () => {
    const plain = renderChart(config(), { width: 640, height: 360, emulated: false })
    const emu = renderChart(config(), { width: 640, height: 360, emulated: true })
    expect(plain.watermarked).toBe(false)
    expect(emu.watermarked).toBe(true)
    expect(await reddish(emu.png)).toBeGreaterThan((await reddish(plain.png)) + 0.01)
  })

  test('phase markers draw extra dark pixels on the plot area', async () => {
    const without = renderChart(config(), { width: 640, height: 360, emulated: false })
    const withMarkers = renderChart(config(), { width: 640, height: 360, emulated: false, markers: [{ x: 5, label: 'replay (B2)' }] })
    expect(withMarkers.png.equals(without.png)).toBe(false)
  })

  test('a font family that the canvas knows is registered for chart text', () => {
    const family = ensureChartFont()
    expect(GlobalFonts.families.map((f) => f.family)).toContain(family)
  })
})

describe('decimateMax', () => {
  test('keeps at most the limit, in x order, and never drops the highest spike', () => {
    const data = Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: i === 7777 ? 1e6 : Math.sin(i) }))
    const out = decimateMax(data, 500)
    expect(out).toHaveLength(500)
    expect(out.some((p) => p.y === 1e6)).toBe(true)
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x)
    expect(decimateMax(data.slice(0, 100), 500)).toHaveLength(100)
  })
})
