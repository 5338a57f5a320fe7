import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { kvModeFromEnv, type KvModeId } from '../../helpers/config/kv-mode'
import { getTokenizer } from '../../helpers/tokenizer/tokenizer'
import { BlockManager } from './block-manager'
import { hashBlock, mix32, ROOT_BLOCK_HASH } from './block-hash'
import type { EvictionPolicy } from './block-tier'
import { type EmulatorProfile, g1Blocks, kvBlockBytes } from './emulator-profile'
import type {
  Engine,
  EngineFaults,
  EngineRequestHandle,
  EngineStats,
  GenerateRequest,
  KvbmCounters,
  TokenSink,
} from './engine-types'
import { type G3File, openG3File } from './g3-file'
import { LoraStore } from './lora-store'
import { decodeStepSeconds, hostOnboardSeconds, prefillSeconds } from './perf-model'
import { TextGenerator } from './text-generator'
import { wordTokens } from './word-tokens'

export interface CreateEngineOptions {
  profile: EmulatorProfile
  env: Record<string, string | undefined>
  /** Directory of the G3 file (the server resolves --cache-dir / DYN_KVBM_DISK_CACHE_DIR). */
  cacheDir: string
  adaptersDir: string
  /** Multiplies modeled compute time only (0.01 = 100× faster); real IO is never scaled. */
  timeScale: number
  /** Divides the bytes written/read per G3 block and per LoRA file. */
  ioScale: number
  faults?: Partial<EngineFaults>
}

type SeqState = 'waiting' | 'loading' | 'prefill' | 'decode' | 'stalled' | 'done'

interface Seq {
  id: string
  req: GenerateRequest
  sink: TokenSink
  state: SeqState
  /** Prompt tokens followed by generated ones. */
  tokens: number[]
  promptLen: number
  /** Hash of every full prompt block. */
  hashes: string[]
  /** Content of every full prompt block as held in G1 (differs from the hash when corrupted). */
  contents: string[]
  /** Tokens whose KV is in G1 (a prefix of the prompt while prefilling). */
  computed: number
  cachedTokens: number
  /** Full blocks of `tokens` already registered with the block manager (or matched). */
  blocksRegistered: number
  lastBlockHash: string
  generated: number
  textTail: string
  gen: TextGenerator | null
  acquired: boolean
}

const GB = 1e9
const DEFAULT_LORA_COUNT = 64
const DEFAULT_STATS_WINDOW = 1000
const MAX_LORA_COUNT = 1000
const MAX_OUTPUT_RESERVE_TOKENS = 1024

const envNumber = (env: Record<string, string | undefined>, name: string): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return 0
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`Expected ${name} to be a non-negative number got ${JSON.stringify(raw)}`)
  return n
}

/** Tier sizes from Dynamo's env: *_OVERRIDE_NUM_BLOCKS wins over the GB value (which tiny caps). */
export const tierBlocksFromEnv = (
  p: EmulatorProfile,
  env: Record<string, string | undefined>,
  mode: KvModeId,
): { g1: number; g2: number; g3: number } => {
  const blockBytes = kvBlockBytes(p)
  const size = (gbName: string, overrideName: string, cap: number | undefined) => {
    const override = envNumber(env, overrideName)
    if (override > 0) return Math.floor(override)
    const blocks = Math.floor((envNumber(env, gbName) * GB) / blockBytes)
    return cap !== undefined ? Math.min(cap, blocks) : blocks
  }
  const hasHost = mode === 'B1' || mode === 'B2' || mode === 'B2p'
  const hasDisk = mode === 'B2' || mode === 'B2p' || mode === 'B3'
  // Emulator-only knob: suites size G1 to put a working set under device pressure (or to fit a
  // dataset L prompt); Dynamo sizes G1 through free_gpu_memory_fraction instead.
  const g1Override = envNumber(env, 'KVSIM_G1_OVERRIDE_NUM_BLOCKS')
  return {
    g1: g1Override > 0 ? Math.floor(g1Override) : g1Blocks(p),
    g2: hasHost ? size('DYN_KVBM_CPU_CACHE_GB', 'DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS', p.g2MaxBlocks) : 0,
    g3: hasDisk ? size('DYN_KVBM_DISK_CACHE_GB', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS', p.g3MaxBlocks) : 0,
  }
}

const sleepMs = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve())

export const createEngine = async (opts: CreateEngineOptions): Promise<Engine> => {
  const p = opts.profile
  const { env } = opts
  if (!(opts.timeScale > 0)) throw new Error(`Expected timeScale > 0 got ${opts.timeScale}`)
  if (!(opts.ioScale >= 1)) throw new Error(`Expected ioScale >= 1 got ${opts.ioScale}`)
  const mode = kvModeFromEnv(env)
  // Emulator-only: the engine's max input (TRT-LLM max_num_tokens), e.g. 40960 for dataset L runs.
  const maxInputTokens = Math.floor(envNumber(env, 'KVSIM_MAX_INPUT_TOKENS')) || p.maxInputTokens
  const tpb = p.tokensPerBlock
  const prefix = { promptTokens: 0, deviceHitTokens: 0, generatedTokens: 0 }
  const tiers = tierBlocksFromEnv(p, env, mode)
  const policyRaw = env.KVSIM_EVICTION_POLICY ?? 'lru'
  if (policyRaw !== 'lru' && policyRaw !== 'lfu')
    throw new Error(`Expected KVSIM_EVICTION_POLICY to be one of lru, lfu got ${JSON.stringify(policyRaw)}`)
  const policy: EvictionPolicy = policyRaw
  const statsWindow = Math.floor(envNumber(env, 'DYN_KVBM_CACHE_STATS_MAX_REQUESTS')) || DEFAULT_STATS_WINDOW
  const loraCount = env.KVSIM_LORA_COUNT === undefined ? DEFAULT_LORA_COUNT : Math.floor(envNumber(env, 'KVSIM_LORA_COUNT'))
  if (loraCount > MAX_LORA_COUNT) throw new Error(`Expected KVSIM_LORA_COUNT <= ${MAX_LORA_COUNT} got ${loraCount}`)
  const disableODirect = /^(1|true)$/i.test(env.DYN_KVBM_DISK_DISABLE_O_DIRECT ?? '')
  const cacheDir = opts.cacheDir || env.DYN_KVBM_DISK_CACHE_DIR || tmpdir()

  let g3File: G3File | null = null
  if (tiers.g3 > 0) {
    await mkdir(cacheDir, { recursive: true })
    g3File = await openG3File({ dir: cacheDir, blocks: tiers.g3, blockBytes: Math.ceil(kvBlockBytes(p) / opts.ioScale), disableODirect })
  }
  let g3WriteErrors = 0
  const manager = new BlockManager({
    mode,
    tokensPerBlock: tpb,
    g1Blocks: tiers.g1,
    g2Blocks: tiers.g2,
    g3Blocks: tiers.g3,
    evictionPolicy: policy,
    hitRateWindow: statsWindow,
    writeG3: g3File
      ? (slot, content) => {
          g3File!.write(slot, content).catch(() => {
            g3WriteErrors++
          })
        }
      : null,
  })

  const lora = new LoraStore({ profile: p, dir: opts.adaptersDir, count: loraCount, ioScale: opts.ioScale, timeScale: opts.timeScale })
  // Adapter files (GBs at full scale) only when LoRA was asked for; otherwise written on first use.
  if (env.KVSIM_LORA_COUNT !== undefined && loraCount > 0) await lora.ensureFiles()

  const tokenizer = getTokenizer(p.tokenizer)
  // Build the word list (and warm the tokenizer) now, not inside the first request's TTFT.
  wordTokens(p.tokenizer)
  const faults: EngineFaults = { corruptDisk: 0, slowDiskMs: 0, stall: 0, ...opts.faults }
  const seqs = new Map<string, Seq>()
  const waiting: Seq[] = []
  /** Admitted sequences in admission order (loading, prefill, decode, stalled). */
  const active = new Set<Seq>()
  let closed = false
  let iterating = false
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null
  let lastDueNs = 0n
  /** Set when an iteration ends with work left: the next one starts at that due time, back to back. */
  let chainFromNs: bigint | null = null
  let lastOnboardMs: number | null = null
  let seqCounter = 0

  const finish = (s: Seq, reason: 'length' | 'stop') => {
    if (s.state === 'done') return
    retire(s)
    s.sink.onDone({ finishReason: reason, promptTokens: s.promptLen, completionTokens: s.generated, cachedTokens: s.cachedTokens })
  }

  const fail = (s: Seq, code: string, message: string) => {
    if (s.state === 'done') return
    retire(s)
    s.sink.onError({ code, message })
  }

  const retire = (s: Seq) => {
    const wasWaiting = s.state === 'waiting'
    s.state = 'done'
    seqs.delete(s.id)
    if (wasWaiting) {
      const i = waiting.indexOf(s)
      if (i >= 0) waiting.splice(i, 1)
    }
    active.delete(s)
    if (s.acquired) manager.release(s.id)
    s.acquired = false
    kick()
  }

  // One hrtime-driven timer for the whole batch: sleep with setTimeout until ~1.5 ms before the due
  // time, then yield with setImmediate until it arrives, so emission lateness stays well under 1 ms.
  const scheduleAt = (dueNs: bigint, fn: () => void) => {
    const tick = () => {
      timer = null
      if (closed) return
      const remMs = Number(dueNs - process.hrtime.bigint()) / 1e6
      if (remMs <= 0) fn()
      else if (remMs > 2) timer = setTimeout(tick, remMs - 1.5)
      else timer = setImmediate(tick)
    }
    tick()
  }

  const kick = () => {
    if (closed || iterating) return
    iterating = true
    setImmediate(runIteration)
  }

  const admit = () => {
    while (waiting.length > 0 && active.size < p.maxBatchSize) {
      const s = waiting[0]
      const promptBlocks = Math.ceil(s.promptLen / tpb)
      if (promptBlocks + 1 > tiers.g1) {
        fail(s, 'kv_capacity_exceeded', `Expected request ${s.req.id} to fit in G1 (${tiers.g1} blocks) got ${promptBlocks + 1} blocks`)
        continue
      }
      // Reserve room for the prompt and the output, as TRT-LLM's GUARANTEED_NO_EVICT scheduler does,
      // but cap the output share so a huge max_tokens cannot serialise a small G1.
      const outputReserve = Math.min(s.req.maxTokens, MAX_OUTPUT_RESERVE_TOKENS)
      const blocksNeeded = Math.min(tiers.g1, Math.ceil((s.promptLen + outputReserve) / tpb))
      // At least one prompt token is always recomputed, as TRT-LLM does.
      const matchable = Math.min(s.hashes.length, Math.floor((s.promptLen - 1) / tpb))
      const alloc = manager.acquire(s.id, s.hashes, matchable, blocksNeeded)
      if (!alloc) break
      waiting.shift()
      s.acquired = true
      active.add(s)
      // Engine-side prefix-cache counters for the non-KVBM metric dialects (vLLM, SGLang, …).
      prefix.promptTokens += s.promptLen
      prefix.deviceHitTokens += alloc.g1Hits * tpb
      if (faults.stall > 0 && Math.random() < faults.stall) {
        s.state = 'stalled'
        continue
      }
      s.state = 'loading'
      void load(s, alloc)
    }
  }

  const load = async (s: Seq, alloc: NonNullable<ReturnType<BlockManager['acquire']>>) => {
    try {
      if (s.req.adapter) await lora.load(s.req.adapter)
      const g2Wait = sleepMs(hostOnboardSeconds(p, alloc.g2Hits) * opts.timeScale * 1000)
      if (alloc.g3Reads.length > 0) {
        const t0 = process.hrtime.bigint()
        await Promise.all(
          alloc.g3Reads.map(async (r) => {
            if (faults.slowDiskMs > 0) await sleepMs(faults.slowDiskMs)
            const corrupt = faults.corruptDisk > 0 && Math.random() < faults.corruptDisk
            alloc.contents[r.index] = await g3File!.read(r.slot, corrupt)
          }),
        )
        lastOnboardMs = Number(process.hrtime.bigint() - t0) / 1e6
      }
      await g2Wait
    } catch (err) {
      if (s.state !== 'done') fail(s, 'kv_onboard_failed', `Expected request ${s.req.id} to load its KV/adapter got ${(err as Error).message}`)
      return
    }
    if (s.state !== 'loading') return
    const matched = alloc.g1Hits + alloc.g2Hits + alloc.g3Hits
    manager.finishOnboard(s.id, alloc.contents.slice(alloc.g1Hits) as string[])
    for (let i = 0; i < matched; i++) s.contents[i] = alloc.contents[i]!
    s.computed = matched * tpb
    s.cachedTokens = s.computed
    s.blocksRegistered = matched
    s.state = 'prefill'
    kick()
  }

  const registerFullBlocks = (s: Seq, upTo: number) => {
    const full = Math.floor(upTo / tpb)
    while (s.blocksRegistered < full) {
      const b = s.blocksRegistered
      let key: string
      if (b < s.hashes.length) {
        key = s.hashes[b]
        s.contents[b] = key
      } else {
        key = hashBlock(s.lastBlockHash, s.tokens, b * tpb, (b + 1) * tpb)
      }
      // Prompt blocks were already counted as uses at admission; decode blocks are new uses.
      manager.register(s.id, key, key, b >= s.hashes.length)
      s.lastBlockHash = key
      s.blocksRegistered++
    }
    if (s.blocksRegistered > 0 && s.blocksRegistered <= s.hashes.length) s.lastBlockHash = s.hashes[s.blocksRegistered - 1]
  }

  const startDecode = (s: Seq) => {
    const full = s.hashes.length
    let prefixTokens: number[] = []
    const needle = s.req.needle
    if (needle) {
      const b = Math.floor(needle.tokenOffset / tpb)
      const intact = b >= full || s.contents[b] === s.hashes[b]
      if (intact) prefixTokens = tokenizer.encode(needle.answer)
    }
    const seed = s.req.temperature > 0 ? (s.req.seed ?? Math.floor(Math.random() * 2 ** 31)) : 0
    s.gen = new TextGenerator({
      tokenizer: p.tokenizer,
      blockContents: s.contents.slice(0, full),
      tailTokens: s.tokens.slice(full * tpb, s.promptLen),
      seed,
      adapter: s.req.adapter,
      ignoreEos: s.req.ignoreEos,
      prefixTokens,
    })
    s.state = 'decode'
  }

  const maxStopLen = (s: Seq) => s.req.stop.reduce((m, x) => Math.max(m, x.length), 0)

  /** Emits the sequence's next token (due at `dueNs`) or finishes it. */
  const emitNext = (s: Seq, dueNs: bigint) => {
    const t = s.gen!.next(s.generated)
    if (!t) return finish(s, 'stop')
    if (s.req.stop.length > 0) {
      const text = s.textTail + t.text
      let hit = -1
      for (const stop of s.req.stop) {
        if (!stop) continue
        const i = text.indexOf(stop)
        if (i >= 0 && (hit < 0 || i < hit)) hit = i
      }
      if (hit >= 0) {
        // The stop string is not part of the output; emit what precedes it in this piece.
        const before = hit > s.textTail.length ? text.slice(s.textTail.length, hit) : ''
        if (before) {
          s.generated++
          prefix.generatedTokens++
          s.sink.onToken(before, t.id, dueNs)
        }
        return finish(s, 'stop')
      }
      s.textTail = text.slice(-Math.max(1, maxStopLen(s)))
    }
    s.generated++
    prefix.generatedTokens++
    s.tokens.push(t.id)
    s.sink.onToken(t.text, t.id, dueNs)
    if (s.state === 'done') return
    registerFullBlocks(s, s.tokens.length)
    if (s.generated >= s.req.maxTokens) finish(s, 'length')
  }

  /** A throwing sink must not stop the batch: that request ends, the others go on. */
  const guarded = (s: Seq, fn: () => void) => {
    try {
      fn()
    } catch (err) {
      if (s.state === 'done') return
      retire(s)
      try {
        s.sink.onError({ code: 'internal_error', message: `Expected request ${s.req.id} to stream got ${(err as Error).message}` })
      } catch {
        // The sink is broken; nothing left to tell it.
      }
    }
  }

  const runIteration = () => {
    if (closed) return
    admit()
    const decodeSeqs: Seq[] = []
    const chunks: { s: Seq; start: number; n: number }[] = []
    let budget = p.maxNumTokens
    for (const s of active) if (s.state === 'decode' && decodeSeqs.length < p.maxBatchSize) decodeSeqs.push(s)
    budget -= decodeSeqs.length
    for (const s of active) {
      if (budget <= 0) break
      if (s.state !== 'prefill') continue
      const n = Math.min(budget, s.promptLen - s.computed)
      chunks.push({ s, start: s.computed, n })
      budget -= n
    }
    if (decodeSeqs.length === 0 && chunks.length === 0) {
      iterating = false
      chainFromNs = null
      return
    }
    let seconds = 0
    for (const c of chunks) seconds += prefillSeconds(p, c.start, c.n)
    let ctx = 0
    for (const s of decodeSeqs) ctx += s.tokens.length
    seconds += decodeStepSeconds(p, decodeSeqs.length, ctx)
    const now = process.hrtime.bigint()
    // Back-to-back iterations start when the previous one was due, so timer lateness never
    // accumulates into modeled time; after idle (or a stall of the process > 50 ms) start from now.
    const chained = chainFromNs !== null && now - chainFromNs < 50_000_000n ? chainFromNs : null
    chainFromNs = null
    const start = chained ?? (lastDueNs > now ? lastDueNs : now)
    const dueNs = start + BigInt(Math.max(1, Math.round(seconds * opts.timeScale * 1e9)))
    lastDueNs = dueNs
    scheduleAt(dueNs, () => {
      try {
        for (const c of chunks) {
          const s = c.s
          if (s.state !== 'prefill') continue
          guarded(s, () => {
            s.computed += c.n
            registerFullBlocks(s, s.computed)
            if (s.computed >= s.promptLen) {
              startDecode(s)
              emitNext(s, dueNs)
            }
          })
        }
        for (const s of decodeSeqs) if (s.state === 'decode') guarded(s, () => emitNext(s, dueNs))
      } finally {
        iterating = false
        chainFromNs = dueNs
        kick()
      }
    })
  }

  const submit = (req: GenerateRequest, sink: TokenSink): EngineRequestHandle => {
    const id = `${req.id}#${++seqCounter}`
    const s: Seq = {
      id,
      req,
      sink,
      state: 'waiting',
      tokens: req.promptTokens.slice(),
      promptLen: req.promptTokens.length,
      hashes: [],
      contents: [],
      computed: 0,
      cachedTokens: 0,
      blocksRegistered: 0,
      lastBlockHash: ROOT_BLOCK_HASH,
      generated: 0,
      textTail: '',
      gen: null,
      acquired: false,
    }
    const reject = (code: string, message: string) => {
      s.state = 'done'
      queueMicrotask(() => sink.onError({ code, message }))
      return { cancel: () => undefined }
    }
    if (closed) return reject('engine_closed', `Expected an open engine for request ${req.id} got a closed one`)
    if (s.promptLen === 0) return reject('invalid_request', `Expected request ${req.id} to have prompt tokens got 0`)
    if (s.promptLen > maxInputTokens)
      return reject('prompt_too_long', `Expected request ${req.id} prompt <= ${maxInputTokens} tokens got ${s.promptLen}`)
    if (!(req.maxTokens >= 1)) return reject('invalid_request', `Expected request ${req.id} max_tokens >= 1 got ${req.maxTokens}`)
    if (req.adapter && !lora.has(req.adapter))
      return reject('adapter_not_found', `Expected request ${req.id} adapter to be one of adapter-000… got ${req.adapter}`)
    s.hashes = blockHashesOf(s.tokens, req.adapter)
    s.lastBlockHash = rootHash(req.adapter)
    seqs.set(id, s)
    waiting.push(s)
    kick()
    return {
      cancel: () => {
        if (s.state === 'done') return
        retire(s)
      },
    }
  }

  /** KV computed under a LoRA adapter differs from the base model's, so the adapter seeds the chain. */
  const rootHash = (adapter: string | null): string => (adapter ? hashBlock(ROOT_BLOCK_HASH, [mix32('lora', adapter)], 0, 1) : ROOT_BLOCK_HASH)

  const blockHashesOf = (tokens: number[], adapter: string | null): string[] => {
    const out: string[] = []
    let parent = rootHash(adapter)
    for (let start = 0; start + tpb <= tokens.length; start += tpb) {
      parent = hashBlock(parent, tokens, start, start + tpb)
      out.push(parent)
    }
    return out
  }

  const stats = (): EngineStats => {
    let running = 0
    for (const s of active) if (s.state === 'prefill' || s.state === 'decode' || s.state === 'loading' || s.state === 'stalled') running++
    return {
      inflight: seqs.size,
      queued: waiting.length,
      running,
      g1: { totalBlocks: tiers.g1, usedBlocks: manager.g1Used },
      g2: { totalBlocks: tiers.g2, usedBlocks: manager.g2.size },
      g3: { totalBlocks: tiers.g3, usedBlocks: manager.g3.size },
      hostHitRate: manager.hitRates.hostHitRate,
      diskHitRate: manager.hitRates.diskHitRate,
      lastOnboardMs,
      loadedAdapters: lora.loadedAdapters(),
    }
  }

  return {
    profileName: p.name,
    maxInputTokens,
    tokensPerBlock: tpb,
    g3BlockBytes: g3File?.blockBytes ?? Math.ceil(kvBlockBytes(p) / opts.ioScale / 4096) * 4096,
    tierBlocks: { ...tiers },
    kvBytesPerToken: p.kvBytesPerToken,
    g3: {
      path: g3File?.path ?? null,
      oDirect: g3File?.oDirect ?? false,
      fallbackReason: g3File?.fallbackReason ?? (g3File ? null : 'no disk tier in this mode'),
    },
    submit,
    stats,
    kvbmCounters: (): KvbmCounters => ({ ...manager.counters }),
    prefixCounters: () => ({ ...prefix }),
    faults,
    close: async () => {
      if (closed) return
      for (const s of [...seqs.values()]) fail(s, 'engine_closed', `Expected request ${s.req.id} to finish got the engine closing`)
      closed = true
      if (timer) {
        clearTimeout(timer as NodeJS.Timeout)
        clearImmediate(timer as NodeJS.Immediate)
      }
      await g3File?.close()
      void g3WriteErrors
    },
  }
}
