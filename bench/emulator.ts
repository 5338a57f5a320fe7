import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

// How many concurrent SSE streams kvsim sustains on one core, and how late it writes tokens
// relative to the performance model's due time. kvsim runs pinned to core 0, this client to core 1.
//
//   npm run bench:emulator -- [--streams 100,500,1000,2000] [--tokens 64] [--profile llama31-8b-nvfp4]
//                             [--time-scale 1] [--server-core 0] [--client-core 1]

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '100,500,1000,2000' },
    tokens: { type: 'string', default: '64' },
    profile: { type: 'string', default: 'llama31-8b-nvfp4' },
    'time-scale': { type: 'string', default: '1' },
    'server-core': { type: 'string', default: '0' },
    'client-core': { type: 'string', default: '1' },
  },
})
const streamCounts = values.streams!.split(',').map(Number)
const tokens = Number(values.tokens)
const root = path.resolve(import.meta.dirname, '..')
const hasTaskset = spawnSync('taskset', ['--version']).status === 0
const cores = os.availableParallelism()

interface Lateness {
  count: number
  p50_ms: number
  p99_ms: number
  p999_ms: number
  max_ms: number
  mean_ms: number
}

const startKvsim = async (dir: string) => {
  const maxStreams = Math.max(...streamCounts)
  const args = [path.join(root, 'bin/kvsim.mjs'), '--profile', values.profile!, '--port', '0', '--time-scale', values['time-scale']!,
    '--max-batch-size', String(maxStreams), '--cache-dir', dir, '--adapters-dir', path.join(dir, 'adapters'), '--exit-with-parent']
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DYN_KVBM_')))
  const child = hasTaskset
    ? spawn('taskset', ['-c', values['server-core']!, process.execPath, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', (c) => reject(new Error(`Expected kvsim to start, got exit ${c}`)))
  })
  return { child, info: JSON.parse(line) as { url: string; pid: number } }
}

const getJson = (url: string, method = 'GET'): Promise<any> =>
  new Promise((resolve, reject) => {
    http
      .request(url, { method }, (res) => {
        let raw = ''
        res.on('data', (c) => (raw += c))
        res.on('end', () => resolve(JSON.parse(raw)))
      })
      .on('error', reject)
      .end()
  })

const runStreams = (url: string, n: number): Promise<{ done: number; tokens: number; seconds: number; errors: number }> => {
  const agent = new http.Agent({ keepAlive: false, maxSockets: n })
  const t0 = process.hrtime.bigint()
  let done = 0
  let received = 0
  let errors = 0
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ model: modelName, prompt: `Benchmark stream ${i}: tell a long story.`, max_tokens: tokens, ignore_eos: true, stream: true })
      const req = http.request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let tail = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          // Count frames without parsing JSON: the client must not be the bottleneck.
          let idx = c.indexOf('"finish_reason":null')
          while (idx >= 0) {
            received++
            idx = c.indexOf('"finish_reason":null', idx + 1)
          }
          tail = (tail + c).slice(-32)
        })
        res.on('end', () => {
          if (tail.endsWith('data: [DONE]\n\n')) done++
          else errors++
          resolve()
        })
        res.on('error', () => {
          errors++
          resolve()
        })
      })
      req.on('error', () => {
        errors++
        resolve()
      })
      req.end(body)
    })
  return Promise.all(Array.from({ length: n }, (_, i) => one(i))).then(() => {
    agent.destroy()
    return { done, tokens: received, seconds: Number(process.hrtime.bigint() - t0) / 1e9, errors }
  })
}

let modelName = ''
const main = async () => {
  if (hasTaskset && cores >= 2) spawnSync('taskset', ['-cp', values['client-core']!, String(process.pid)], { stdio: 'ignore' })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kvsim-bench-'))
  const { child, info } = await startKvsim(dir)
  modelName = (await getJson(`${info.url}/v1/models`)).data[0].id
  console.log(`kvsim ${values.profile} time-scale ${values['time-scale']} pid ${info.pid}` +
    (hasTaskset ? ` pinned to core ${values['server-core']}, client on core ${values['client-core']}` : ' (taskset missing: not pinned)'))
  console.log(`${tokens} tokens per stream, ignore_eos; lateness = socket write time - engine dueNs\n`)
  const rows: Record<string, string | number>[] = []
  // A short warm-up so JIT compilation is not billed to the first row.
  await runStreams(info.url, 50)
  for (const n of streamCounts) {
    await getJson(`${info.url}/debug/lateness`, 'DELETE')
    const r = await runStreams(info.url, n)
    const late = (await getJson(`${info.url}/debug/lateness`)) as Lateness
    rows.push({
      streams: n,
      completed: r.done,
      errors: r.errors,
      seconds: r.seconds.toFixed(2),
      tokens_per_s: Math.round(r.tokens / r.seconds),
      lateness_p50_ms: late.p50_ms.toFixed(3),
      lateness_p99_ms: late.p99_ms.toFixed(3),
      lateness_max_ms: late.max_ms.toFixed(3),
      goal_p99_le_1ms: late.p99_ms <= 1 && r.done === n ? 'yes' : 'no',
    })
  }
  console.table(rows)
  child.stdin!.end()
  await new Promise((r) => child.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
}

await main()
