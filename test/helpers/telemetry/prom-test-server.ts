import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

// A tiny real HTTP server on 127.0.0.1 serving whatever exposition text the test sets.
export interface PromTestServer {
  url: string
  set(text: string): void
  setStatus(code: number): void
  hits(): number
  close(): Promise<void>
}

export const startPromServer = async (initial: string): Promise<PromTestServer> => {
  let body = initial
  let status = 200
  let hits = 0
  const server: Server = createServer((req, res) => {
    hits++
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    set: (t) => {
      body = t
    },
    setStatus: (c) => {
      status = c
    },
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
