// Timestamp now, parse later. When hundreds of streams get a token in the same instant, the
// event loop reads their sockets one after another; parsing each chunk (JSON.parse and all) before
// reading the next socket would add every earlier stream's parse time to the later streams'
// timestamps. The 'data' handler therefore only stamps the chunk and queues it; one setImmediate
// per loop turn parses everything queued, after the poll phase has stamped every ready socket.
export interface DeferredParseQueue {
  /** Queue `chunk` received at run-clock `t` for `feed`. */
  push(feed: (chunk: Buffer, t: number) => void, chunk: Buffer, t: number): void
  /** Parse everything queued now (a stream that ended must see its own chunks first). */
  flush(): void
}

type Feed = (chunk: Buffer, t: number) => void

// Two sets of arrays used in turn, emptied in place: no new arrays per loop turn.
export const createDeferredParseQueue = (): DeferredParseQueue => {
  let feeds: Feed[] = []
  let chunks: Buffer[] = []
  let times: number[] = []
  // null while a flush is using them (a re-entrant flush then takes fresh arrays).
  let spareFeeds: Feed[] | null = []
  let spareChunks: Buffer[] = []
  let spareTimes: number[] = []
  let scheduled = false

  const flush = () => {
    scheduled = false
    // Swap first: a feed may end a stream, which flushes again (re-entrancy must see an empty queue).
    const f = feeds
    const c = chunks
    const t = times
    if (spareFeeds !== null) {
      feeds = spareFeeds
      chunks = spareChunks
      times = spareTimes
      spareFeeds = null
    } else {
      feeds = []
      chunks = []
      times = []
    }
    for (let i = 0; i < f.length; i++) f[i](c[i], t[i])
    // Drop references to parsed chunks before the arrays become the spare set.
    f.length = 0
    c.length = 0
    t.length = 0
    if (spareFeeds === null) {
      spareFeeds = f
      spareChunks = c
      spareTimes = t
    }
  }

  return {
    push(feed, chunk, t) {
      feeds.push(feed)
      chunks.push(chunk)
      times.push(t)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush: () => {
      if (feeds.length > 0) flush()
    },
  }
}
