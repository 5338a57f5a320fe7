import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ClientRequest } from '../../../helpers/workload/workload-types'

// A real node:http server on 127.0.0.1 for client tests; each test scripts the response.
export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>

export interface FakeServer {
  url: string
  /** Requests received so far, with their parsed JSON body. */
  received: { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown>; bytes: number; received_ns: bigint }[]
  close(): Promise<void>
}

export const startFakeServer = async (handler: Handler): Promise<FakeServer> => {
  const received: FakeServer['received'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      let json: Record<string, unknown> = {}
      try {
        json = JSON.parse(body.toString('utf8'))
      } catch {
        json = {}
      }
      received.push({ path: req.url ?? '', headers: req.headers, body: json, bytes: body.length, received_ns: process.hrtime.bigint() })
      void handler(req, res, body)
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'srv-req-1' }

export const completionChunk = (id: string, text: string) => `data: ${JSON.stringify({ id, object: 'text_completion', choices: [{ index: 0, text, finish_reason: null }] })}\n\n`

export const makeRequest = (over: Omit<Partial<ClientRequest>, 'meta'> & { meta?: Partial<ClientRequest['meta']> } = {}): ClientRequest => ({
  endpoint: over.endpoint ?? 'completions',
  stream: over.stream ?? true,
  body: over.body ?? { prompt: 'Say hello', max_tokens: 16 },
  meta: {
    request_id: 'req-1',
    workload: 'test',
    prompt_sha: 'p',
    params_hash: 'h',
    identity_hash: 'i',
    payload_hash: 'y',
    prompt_tokens_expected: 3,
    ...over.meta,
  },
})

export const ctx = (t_scheduled_ms: number, seq = 0) => ({
  t_scheduled_ms,
  run_id: 'run-1',
  suite_id: 'suite-1',
  phase: 'p1',
  phase_kind: 'measure' as const,
  mode: 'B0',
  seq,
})
