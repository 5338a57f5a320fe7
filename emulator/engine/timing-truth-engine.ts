import type { Engine, EngineRequestHandle, GenerateRequest, TokenSink } from './engine-types'

// kvsim's timing-truth mode (bench:client): no compute model, no KV tiers in the token path. Every
// request gets its first token `firstTokenMs` after it was received, then one token every `itlMs`,
// `tokens` in all (capped by max_tokens). The server logs the instant of every write, so a client's
// measurement error is its own timestamp minus a time the server really wrote, not a modelled one.
export interface TimingTruthSpec {
  firstTokenMs: number
  itlMs: number
  tokens: number
}

/** Parses `<first_ms>,<itl_ms>,<tokens>` (e.g. `50,10,16`). */
export const parseTimingTruth = (v: string): TimingTruthSpec => {
  const parts = v.split(',').map((s) => Number(s.trim()))
  const [firstTokenMs, itlMs, tokens] = parts
  if (parts.length !== 3 || !(firstTokenMs >= 0) || !(itlMs >= 0) || !Number.isInteger(tokens) || tokens < 1)
    throw new TypeError(`Expected --timing-truth as <first_token_ms>,<itl_ms>,<tokens> (e.g. 50,10,16), got ${JSON.stringify(v)}`)
  return { firstTokenMs, itlMs, tokens }
}

// The words are fixed so every request's text (and its sha) is identical and each token is one chunk.
const WORDS = [' The', ' cache', ' tier', ' holds', ' blocks', ' of', ' keys', ' and', ' values', ' for', ' later', ' reuse', '.']

export const createTimingTruthEngine = (inner: Engine, spec: TimingTruthSpec): Engine => {
  const live = new Set<{ fail(): void }>()
  let closed = false
  return {
    profileName: inner.profileName,
    maxInputTokens: inner.maxInputTokens,
    tokensPerBlock: inner.tokensPerBlock,
    g3BlockBytes: inner.g3BlockBytes,
    tierBlocks: inner.tierBlocks,
    kvBytesPerToken: inner.kvBytesPerToken,
    g3: inner.g3,
    faults: inner.faults,
    stats: () => ({ ...inner.stats(), inflight: live.size, running: live.size, queued: 0 }),
    kvbmCounters: () => inner.kvbmCounters(),
    prefixCounters: () => inner.prefixCounters(),
    submit(req: GenerateRequest, sink: TokenSink): EngineRequestHandle {
      const n = Math.min(spec.tokens, req.maxTokens)
      let emitted = 0
      let timer: NodeJS.Timeout | null = null
      let stopped = false
      const entry = {
        fail: () => {
          stopped = true
          if (timer) clearTimeout(timer)
          live.delete(entry)
          sink.onError({ code: 'shutdown', message: 'kvsim is shutting down' })
        },
      }
      // Each token is due relative to receipt, not to the previous write, so lateness does not accumulate.
      const dueNs = (i: number) => req.receivedNs + BigInt(Math.round((spec.firstTokenMs + i * spec.itlMs) * 1e6))
      const step = () => {
        timer = null
        // libuv timers run on a millisecond clock and can fire up to ~1 ms before a fractional due
        // time: a truth server must never write a token early, so wait out the remainder.
        if (process.hrtime.bigint() < dueNs(emitted)) return schedule()
        sink.onToken(WORDS[emitted % WORDS.length], emitted, dueNs(emitted))
        emitted++
        if (emitted >= n) {
          live.delete(entry)
          sink.onDone({ finishReason: 'length', promptTokens: req.promptTokens.length, completionTokens: n, cachedTokens: 0 })
          return
        }
        schedule()
      }
      const schedule = () => {
        const waitMs = Number(dueNs(emitted) - process.hrtime.bigint()) / 1e6
        // Under 1 ms a timer cannot resolve the wait; a tight setImmediate turn can.
        if (waitMs < 1) {
          timer = null
          setImmediate(() => (stopped ? undefined : step()))
          return
        }
        timer = setTimeout(step, Math.ceil(waitMs))
      }
      if (closed) {
        queueMicrotask(() => sink.onError({ code: 'shutdown', message: 'kvsim is shutting down' }))
        return { cancel: () => {} }
      }
      live.add(entry)
      schedule()
      return {
        cancel: () => {
          stopped = true
          if (timer) clearTimeout(timer)
          timer = null
          live.delete(entry)
        },
      }
    },
    async close() {
      closed = true
      for (const e of [...live]) e.fail()
      await inner.close()
    },
  }
}
