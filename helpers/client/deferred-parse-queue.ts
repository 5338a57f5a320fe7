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

export const createDeferredParseQueue = (): DeferredParseQueue => {
  let feeds: ((chunk: Buffer, t: number) => void)[] = []
  let chunks: Buffer[] = []
  let times: number[] = []
  let scheduled = false

  const flush = () => {
    scheduled = false
    // Swap first: a feed may end a stream, which flushes again (re-entrancy must see an empty queue).
    const f = feeds
    const c = chunks
    const t = times
    feeds = []
    chunks = []
    times = []
    for (let i = 0; i < f.length; i++) f[i](c[i], t[i])
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
