// Stable colours per KV mode so B2 is the same colour in every chart of every run.
export const MODE_COLORS: Record<string, string> = {
  B0: '#4c4c4c',
  B1: '#1f77b4',
  B2: '#d62728',
  B2p: '#ff7f0e',
  B3: '#9467bd',
}

const EXTRA = ['#2ca02c', '#8c564b', '#e377c2', '#17becf', '#bcbd22']

export const modeColor = (mode: string): string => {
  const known = MODE_COLORS[mode]
  if (known) return known
  let h = 0
  for (const ch of mode) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return EXTRA[h % EXTRA.length]!
}

/** Series colours for charts keyed by something other than mode (metrics, percentiles). */
export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf']

export const withAlpha = (hex: string, alpha: number): string => {
  const n = Number.parseInt(hex.slice(1), 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}
