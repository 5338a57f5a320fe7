import type { RequestStream, WorkItem, Workload } from './workload-types'

// A lazily built stream: request i is made only when the executor asks for it, so a workload of
// thousands of 128k-token prompts never sits in memory at once.

export const streamOf = (name: string, count: number, make: (index: number) => WorkItem | null): RequestStream => {
  let i = 0
  return {
    name,
    next: () => {
      while (i < count) {
        const item = make(i++)
        if (item) return item
      }
      return null
    },
  }
}

export const streamWorkload = (source: RequestStream): Workload => ({ kind: 'stream', source })

/** Drains a stream (tests, manifests). Refuses unbounded streams beyond `limit`. */
export const takeAll = (source: RequestStream, limit = 100_000): WorkItem[] => {
  const out: WorkItem[] = []
  for (let item = source.next(); item; item = source.next()) {
    out.push(item)
    if (out.length > limit) throw new Error(`Expected stream ${source.name} to end within ${limit} requests, got more`)
  }
  return out
}

export const requestId = (workload: string, index: number): string => `${workload}-${String(index).padStart(6, '0')}`
