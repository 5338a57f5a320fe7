import { constants as fsc } from 'node:fs'
import { mkdir, open, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { allocAlignedForDirectIo, roundUpToAlign } from './aligned-buffer'
import { type EmulatorProfile, loraAdapterBytes } from './emulator-profile'
import { loraCopySeconds } from './perf-model'

// LoRA adapters as real files of realistic size (÷ --io-scale). A cold load reads the file with
// O_DIRECT (so the page cache cannot hide the disk) plus a modeled host→device copy; warm adapters
// stay in an LRU of max_loras. Files are written up front only when LoRA was asked for
// (KVSIM_LORA_COUNT set: the harness does so for LoRA suites); otherwise on first use, so a run that
// never names an adapter writes no adapter bytes.

export interface LoraStoreOptions {
  profile: EmulatorProfile
  dir: string
  count: number
  ioScale: number
  timeScale: number
}

export const adapterName = (i: number): string => `adapter-${String(i).padStart(3, '0')}`

export class LoraStore {
  readonly fileBytes: number
  /** Loaded adapters, least recently used first. */
  private readonly loaded = new Map<string, true>()
  private readonly loading = new Map<string, Promise<void>>()
  private readonly names: Set<string>

  constructor(private readonly opts: LoraStoreOptions) {
    this.fileBytes = roundUpToAlign(Math.ceil(loraAdapterBytes(opts.profile) / opts.ioScale))
    this.names = new Set(Array.from({ length: opts.count }, (_, i) => adapterName(i)))
  }

  /** Creates missing adapter files (or ones of the wrong size); existing ones are reused across starts. */
  async ensureFiles(): Promise<void> {
    for (const name of this.names) await this.ensureFile(name)
  }

  /** Without ensureFiles() up front, an adapter's file is written the first time it is asked for. */
  private async ensureFile(name: string): Promise<void> {
    const path = join(this.opts.dir, name)
    const st = await stat(path).catch(() => null)
    if (st && st.size === this.fileBytes) return
    await mkdir(this.opts.dir, { recursive: true })
    const buf = Buffer.alloc(this.fileBytes)
    buf.fill(`${name}:lora-weights;`)
    await writeFile(path, buf)
  }

  has(name: string): boolean {
    return this.names.has(name)
  }

  loadedAdapters(): string[] {
    return [...this.loaded.keys()]
  }

  /** Makes the adapter resident; resolves when it is usable. Warm adapters resolve at once. */
  async load(name: string): Promise<{ cold: boolean }> {
    if (!this.names.has(name)) throw new Error(`Expected adapter to be one of adapter-000…${adapterName(this.names.size - 1)} got ${name}`)
    if (this.loaded.has(name)) {
      this.loaded.delete(name)
      this.loaded.set(name, true)
      return { cold: false }
    }
    let p = this.loading.get(name)
    if (!p) {
      p = this.coldLoad(name).finally(() => this.loading.delete(name))
      this.loading.set(name, p)
    }
    await p
    return { cold: true }
  }

  private async coldLoad(name: string): Promise<void> {
    const path = join(this.opts.dir, name)
    await this.ensureFile(name)
    let fh = await open(path, fsc.O_RDONLY | fsc.O_DIRECT).catch(() => null)
    let buf = fh ? await allocAlignedForDirectIo(fh, this.fileBytes, 'read') : null
    if (!fh || !buf) {
      // Filesystems without O_DIRECT (tmpfs) still get a real read, through the page cache.
      await fh?.close()
      fh = await open(path, fsc.O_RDONLY)
      buf = Buffer.allocUnsafe(this.fileBytes)
    }
    try {
      let off = 0
      while (off < this.fileBytes) {
        const { bytesRead } = await fh.read(buf, off, this.fileBytes - off, off)
        if (bytesRead === 0) throw new Error(`Expected ${this.fileBytes} bytes in adapter ${name} got ${off}`)
        off += bytesRead
      }
    } finally {
      await fh.close()
    }
    const copyMs = loraCopySeconds(this.opts.profile, loraAdapterBytes(this.opts.profile)) * this.opts.timeScale * 1000
    if (copyMs > 0) await new Promise((r) => setTimeout(r, copyMs))
    this.loaded.set(name, true)
    while (this.loaded.size > this.opts.profile.lora.maxLoras) this.loaded.delete(this.loaded.keys().next().value!)
  }
}
