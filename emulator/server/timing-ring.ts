// The server-side timing truth of the last N requests, looked up by response id at
// GET /debug/requests/:id. A fixed ring so a long soak cannot grow memory without bound.

export interface RequestTiming {
  id: string
  endpoint: 'completions' | 'chat_completions'
  stream: boolean
  status: 'in_progress' | 'success' | 'error' | 'disconnected' | 'cut'
  /** Absolute CLOCK_MONOTONIC ns as decimal strings (process.hrtime.bigint()). */
  received_ns: string
  first_token_ns: string | null
  last_token_ns: string | null
  prompt_tokens: number
  completion_tokens: number
  cached_tokens: number
  /** Largest write time − dueNs of this request's tokens, ms. */
  max_lateness_ms: number
  error: string | null
}

export class TimingRing {
  private readonly slots: (RequestTiming | undefined)[]
  private readonly index = new Map<string, number>()
  private next = 0

  constructor(readonly capacity = 100_000) {
    this.slots = new Array(capacity)
  }

  put(t: RequestTiming): void {
    const old = this.slots[this.next]
    if (old) this.index.delete(old.id)
    this.slots[this.next] = t
    this.index.set(t.id, this.next)
    this.next = (this.next + 1) % this.capacity
  }

  get(id: string): RequestTiming | undefined {
    const i = this.index.get(id)
    return i === undefined ? undefined : this.slots[i]
  }

  get size(): number {
    return this.index.size
  }
}
