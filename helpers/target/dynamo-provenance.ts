// Parsers for what the provenance steps print (docker image inspect, pip show, nvidia-smi -q,
// nvme id-ctrl, lspci -vv). Each returns nulls for what it cannot find: a missing tool on a dev box
// must leave a gap in provenance, not a made-up value.

export interface ImageProvenance {
  digest: string | null
  imageId: string | null
}

/** `docker image inspect --format '{{json .RepoDigests}} {{.Id}}'` */
export const parseImageInspect = (out: string): ImageProvenance => {
  const line = out.trim().split('\n')[0] ?? ''
  const m = /^(\[.*?\])\s+(\S+)/.exec(line)
  if (!m) return { digest: null, imageId: null }
  let digests: string[] = []
  try {
    digests = JSON.parse(m[1]) as string[]
  } catch {
    digests = []
  }
  const digest = digests.map((d) => /@(sha256:[0-9a-f]+)/.exec(d)?.[1]).find(Boolean) ?? null
  return { digest, imageId: m[2] }
}

/** `pip show a b c` → { a: version } (pip separates packages with `---`). */
export const parsePipShow = (out: string): Record<string, string> => {
  const versions: Record<string, string> = {}
  for (const block of out.split(/^---\s*$/m)) {
    const name = /^Name:\s*(.+)$/m.exec(block)?.[1]?.trim()
    const version = /^Version:\s*(.+)$/m.exec(block)?.[1]?.trim()
    if (name && version) versions[name.toLowerCase().replace(/_/g, '-')] = version
  }
  return versions
}

export interface GpuProvenance {
  name: string | null
  driverVersion: string | null
  cudaVersion: string | null
}

/** `nvidia-smi -q` (text form). */
export const parseNvidiaSmiQ = (out: string): GpuProvenance => ({
  name: /^\s*Product Name\s*:\s*(.+)$/m.exec(out)?.[1]?.trim() ?? null,
  driverVersion: /^\s*Driver Version\s*:\s*(.+)$/m.exec(out)?.[1]?.trim() ?? null,
  cudaVersion: /^\s*CUDA Version\s*:\s*(.+)$/m.exec(out)?.[1]?.trim() ?? null,
})

export interface NvmeProvenance {
  model: string | null
  firmware: string | null
  serial: string | null
}

/** `nvme id-ctrl /dev/nvmeX` (text form: `mn : …`, `fr : …`, `sn : …`). */
export const parseNvmeIdCtrl = (out: string): NvmeProvenance => {
  const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm').exec(out)?.[1]?.trim() || null
  return { model: field('mn'), firmware: field('fr'), serial: field('sn') }
}

export interface PcieLink {
  device: string | null
  capable: string | null
  status: string | null
}

/** The first NVMe controller's LnkCap/LnkSta from `lspci -vv`. */
export const parseLspciNvmeLink = (out: string): PcieLink => {
  const blocks = out.split(/\n(?=[0-9a-f]{2,4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d|[0-9a-f]{2}:[0-9a-f]{2}\.\d)/i)
  const nvme = blocks.find((b) => /Non-Volatile memory controller/i.test(b.split('\n')[0] ?? ''))
  if (!nvme) return { device: null, capable: null, status: null }
  const clean = (s: string | undefined) => s?.trim().replace(/\s+/g, ' ') ?? null
  return {
    device: clean(nvme.split('\n')[0]),
    capable: clean(/LnkCap:\s*(.+)$/m.exec(nvme)?.[1]),
    status: clean(/LnkSta:\s*(.+)$/m.exec(nvme)?.[1]),
  }
}

/** `…/snapshots/<id>` → `<id>` (the HF revision of the weights). */
export const modelSnapshotId = (modelPath: string): string | null => /\/snapshots\/([^/]+)\/?$/.exec(modelPath)?.[1] ?? null
