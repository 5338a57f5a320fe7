import { existsSync } from 'node:fs'
import { createCanvas, GlobalFonts } from '@napi-rs/canvas'
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js'

// Chart.js 4 drawn on @napi-rs/canvas, headless. Three small plugins: a white background (PNG
// viewers show transparency as black), phase boundaries as labelled vertical lines, and a diagonal
// EMULATED watermark so an emulator chart can never pass for hardware evidence.

export interface PhaseMarker {
  /** x value in the chart's x units. */
  x: number
  label: string
}

declare module 'chart.js' {
  interface PluginOptionsByType<TType> {
    tierbenchPhases?: { markers: PhaseMarker[] }
    tierbenchWatermark?: { text: string | null; onDraw?: () => void }
  }
}

let fontFamily: string | null = null

// @napi-rs/canvas has no fonts on some systems; without one every label renders as nothing.
export const ensureChartFont = (): string => {
  if (fontFamily) return fontFamily
  const has = () => GlobalFonts.families.map((f) => f.family)
  if (!has().some((f) => /DejaVu Sans|Liberation Sans|Noto Sans|Arial|Helvetica/.test(f)))
    for (const dir of ['/usr/share/fonts', '/usr/local/share/fonts', '/Library/Fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'])
      if (existsSync(dir)) GlobalFonts.loadFontsFromDir(dir)
  const families = has()
  fontFamily = families.find((f) => f === 'DejaVu Sans') ?? families.find((f) => /Sans/.test(f) && !/Mono/.test(f)) ?? families[0] ?? 'sans-serif'
  return fontFamily
}

const background: Plugin = {
  id: 'tierbenchBackground',
  beforeDraw: (chart) => {
    const ctx = chart.ctx
    ctx.save()
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, chart.width, chart.height)
    ctx.restore()
  },
}

const phaseLines: Plugin = {
  id: 'tierbenchPhases',
  afterDatasetsDraw: (chart, _args, opts: { markers?: PhaseMarker[] }) => {
    const markers = opts?.markers ?? []
    const x = chart.scales.x
    if (!x || markers.length === 0) return
    const { top, bottom, left, right } = chart.chartArea
    const ctx = chart.ctx
    ctx.save()
    ctx.strokeStyle = 'rgba(60, 60, 60, 0.7)'
    ctx.setLineDash([5, 4])
    ctx.lineWidth = 1
    ctx.fillStyle = 'rgba(40, 40, 40, 0.9)'
    ctx.font = `11px "${ensureChartFont()}"`
    for (const m of markers) {
      const px = x.getPixelForValue(m.x)
      if (!Number.isFinite(px) || px < left - 0.5 || px > right + 0.5) continue
      ctx.beginPath()
      ctx.moveTo(px, top)
      ctx.lineTo(px, bottom)
      ctx.stroke()
      ctx.save()
      ctx.translate(px + 3, top + 4)
      ctx.rotate(Math.PI / 2)
      ctx.fillText(m.label, 0, 0)
      ctx.restore()
    }
    ctx.restore()
  },
}

const watermark: Plugin = {
  id: 'tierbenchWatermark',
  afterDraw: (chart, _args, opts: { text?: string | null; onDraw?: () => void }) => {
    if (!opts?.text) return
    const ctx = chart.ctx
    ctx.save()
    ctx.translate(chart.width / 2, chart.height / 2)
    ctx.rotate(-Math.atan2(chart.height, chart.width))
    ctx.font = `bold ${Math.round(Math.min(chart.width, chart.height) / 5)}px "${ensureChartFont()}"`
    ctx.fillStyle = 'rgba(200, 30, 30, 0.13)'
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.fillText(opts.text, 0, 0)
    ctx.restore()
    opts.onDraw?.()
  },
}

let registered = false

const register = () => {
  if (registered) return
  Chart.register(
    LineController, BarController, ScatterController, LineElement, BarElement, PointElement,
    LinearScale, LogarithmicScale, CategoryScale, Legend, Title, Filler, background, phaseLines, watermark,
  )
  registered = true
}

export interface RenderOptions {
  width: number
  height: number
  /** Draws the EMULATED watermark. */
  emulated: boolean
  markers?: PhaseMarker[]
}

export interface RenderedChart {
  png: Buffer
  watermarked: boolean
}

export const renderChart = (config: ChartConfiguration, opts: RenderOptions): RenderedChart => {
  register()
  const family = ensureChartFont()
  Chart.defaults.font.family = family
  const canvas = createCanvas(opts.width, opts.height)
  let watermarked = false
  const cfg: ChartConfiguration = {
    ...config,
    options: {
      ...config.options,
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      plugins: {
        ...config.options?.plugins,
        tierbenchPhases: { markers: opts.markers ?? [] },
        tierbenchWatermark: { text: opts.emulated ? 'EMULATED' : null, onDraw: () => (watermarked = true) },
      },
    },
  } as ChartConfiguration
  // Chart.js accepts a 2d context; @napi-rs/canvas's is API-compatible with the DOM one.
  const chart = new Chart(canvas.getContext("2d") as unknown as ConstructorParameters<typeof Chart>[0], cfg)
  try {
    return { png: canvas.encodeSync('png'), watermarked }
  } finally {
    chart.destroy()
  }
}
