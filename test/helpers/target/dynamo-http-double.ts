import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A small in-test stand-in for a Dynamo frontend (:8000, /health as current Dynamo unless told otherwise) and a KVBM metrics endpoint (:6880) on
// 127.0.0.1, so driver tests exercise real HTTP (readiness, verification, watch) while the
// recording fake `docker` stands in for the container.

export interface DynamoDoubleState {
  /** `healthy`: current Dynamo (200 "healthy", empty endpoints while no model); `unhealthy`: 0.8-era 200 "unhealthy"; `starting`: 503 not_ready. */
  healthStatus: 'healthy' | 'unhealthy' | 'starting'
  models: string[]
  /** Stream answers normally, or send headers and then nothing (stuck engine). */
  completions: 'ok' | 'stall' | 'empty'
  /** KVBM endpoint: serve kvbm_* names, 404, or serve without the required names. */
  kvbm: 'on' | 'off' | 'missing-names'
  /** Added to kvbm_offload_blocks_h2d on every completion (a disk tier that is on). */
  diskBlocksPerRequest: number
}

export interface DynamoDouble {
  state: DynamoDoubleState
  frontendPort: number
  kvbmPort: number
  completions: number
  close(): Promise<void>
}

const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))

export const startDynamoDouble = async (model: string): Promise<DynamoDouble> => {
  const counters = { kvbm_offload_blocks_d2h: 0, kvbm_offload_blocks_h2d: 0, kvbm_offload_blocks_d2d: 0, kvbm_onboard_blocks_h2d: 0, kvbm_onboard_blocks_d2d: 0, kvbm_matched_tokens: 0 }
  const double: DynamoDouble = {
    state: { healthStatus: 'healthy', models: [model], completions: 'ok', kvbm: 'on', diskBlocksPerRequest: 0 },
    frontendPort: 0,
    kvbmPort: 0,
    completions: 0,
    close: async () => {},
  }
  const sockets = new Set<import('node:net').Socket>()
  const frontend = createServer((req, res) => {
    const s = double.state
    if (req.url === '/health') {
      if (s.healthStatus === 'starting') {
        res.writeHead(503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ status: 'not_ready' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          s.healthStatus === 'healthy'
            ? { status: 'healthy', endpoints: s.models.length > 0 ? ['dyn://dynamo.tensorrt_llm.generate'] : [], instances: [] }
            : { status: 'unhealthy', message: 'No endpoints available', instances: [] },
        ),
      )
      return
    }
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: s.models.map((id) => ({ id, object: 'model' })) }))
      return
    }
    if (req.url === '/v1/completions' && req.method === 'POST') {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const parsed = JSON.parse(body) as { stream?: boolean }
        double.completions++
        counters.kvbm_offload_blocks_h2d += s.diskBlocksPerRequest
        if (s.completions === 'stall') {
          res.writeHead(200, { 'content-type': 'text/event-stream' })
          res.flushHeaders()
          return
        }
        if (!parsed.stream) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ id: 'cmpl-1', choices: [{ text: 'hi', index: 0 }] }))
          return
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        if (s.completions === 'empty') {
          res.end(`data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: '', index: 0 }] })}\n\ndata: [DONE]\n\n`)
          return
        }
        res.write(`data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'Hel', index: 0 }] })}\n\n`)
        res.write(`data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'lo', index: 0 }] })}\n\n`)
        res.end('data: [DONE]\n\n')
      })
      return
    }
    res.writeHead(404)
    res.end()
  })
  const kvbm = createServer((req, res) => {
    const s = double.state
    if (s.kvbm === 'off' || req.url !== '/metrics') {
      res.writeHead(404)
      res.end()
      return
    }
    const names = Object.entries(counters).filter(([n]) => s.kvbm === 'on' || !/h2d|d2d|matched/.test(n))
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(names.map(([n, v]) => `# TYPE ${n} counter\n${n} ${v}\n`).join('') + '# TYPE kvbm_host_cache_hit_rate gauge\nkvbm_host_cache_hit_rate 0\n')
  })
  for (const srv of [frontend, kvbm]) srv.on('connection', (sock) => (sockets.add(sock), sock.on('close', () => sockets.delete(sock))))
  double.frontendPort = await listen(frontend)
  double.kvbmPort = await listen(kvbm)
  double.close = async () => {
    for (const s of sockets) s.destroy()
    await Promise.all([new Promise((r) => frontend.close(r)), new Promise((r) => kvbm.close(r))])
  }
  return double
}
