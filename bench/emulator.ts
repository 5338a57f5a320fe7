import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
    tokens: { type: 'string', default: '128' },
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

interface StreamRun {
  done: number
  errors: number
  seconds: number
  /** Tokens/s while every stream was open (after the last first token, before the first end). */
  steadyTokensPerS: number
  steadySeconds: number
  /** kvsim CPU time per token written in the steady window (server + engine), µs. */
  steadyCpuUsPerToken: number
  /** Share of the steady window kvsim waited for a CPU while runnable. */
  steadyRunDelayShare: number
  /** Lateness over that steady window: the ramp (N requests parsed and prefilled) is excluded. */
  steadyLateness: Lateness | null
  /** Lateness over the whole run, ramp included. */
  allLateness: Lateness
}

interface Mark {
  ns: bigint
  tokens: number
  lateness: Promise<Lateness>
  cpuNs: number
  /** Time kvsim spent runnable but waiting for a CPU (/proc/<pid>/schedstat field 2), ns. */
  runDelayNs: number
}

/** Run-queue wait of a process: when other processes hold its core, tokens go out late. */
const runDelayNs = (pid: number): number => {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1])
  } catch {
    return NaN
  }
}
/** CPU time (user + system) of a process, ns, from /proc/<pid>/stat (clock ticks of 10 ms). */
const cpuNs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 1e7
  } catch {
    return NaN
  }
}
let serverPid = 0

const runStreams = async (url: string, n: number): Promise<StreamRun> => {
  await getJson(`${url}/debug/lateness`, 'DELETE')
  const agent = new http.Agent({ keepAlive: false, maxSockets: n })
  const t0 = process.hrtime.bigint()
  let done = 0
  let received = 0
  let errors = 0
  let started = 0
  let steadyStart: Mark | null = null
  let steadyEnd: Mark | null = null
  // Opening the window snapshots the cumulative recorder; closing it reads it again. The steady
  // lateness is the window's own distribution because the recorder is reset when it opens.
  const mark = (reset: boolean): Mark => ({
    ns: process.hrtime.bigint(),
    tokens: received,
    lateness: getJson(`${url}/debug/lateness`, reset ? 'DELETE' : 'GET'),
    runDelayNs: runDelayNs(serverPid),
    cpuNs: cpuNs(serverPid),
  })
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ model: modelName, prompt: `Benchmark stream ${i}: tell a long story.`, max_tokens: tokens, ignore_eos: true, stream: true })
      const req = http.request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let tail = ''
        let first = true
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          // Count frames without parsing JSON: the client must not be the bottleneck.
          let idx = c.indexOf('"finish_reason":null')
          while (idx >= 0) {
            received++
            if (first) {
              first = false
              if (++started === n) steadyStart = mark(true)
            }
            idx = c.indexOf('"finish_reason":null', idx + 1)
          }
          tail = (tail + c).slice(-32)
        })
        res.on('end', () => {
          if (tail.endsWith('data: [DONE]\n\n')) done++
          else errors++
          if (steadyStart && !steadyEnd) steadyEnd = mark(false)
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
  await Promise.all(Array.from({ length: n }, (_, i) => one(i)))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  agent.destroy()
  const s0 = steadyStart as Mark | null
  const s1 = steadyEnd as Mark | null
  const before = s0 ? await s0.lateness : null // the cumulative ramp figures, read as the window opened
  const steadyLateness = s1 ? await s1.lateness : null
  const tail = await getJson(`${url}/debug/lateness`)
  const allLateness = before ?? tail
  const steadySeconds = s0 && s1 ? Number(s1.ns - s0.ns) / 1e9 : 0
  const steadyRunDelayShare = s0 && s1 && steadySeconds > 0 ? (s1.runDelayNs - s0.runDelayNs) / 1e9 / steadySeconds : NaN
  const steadyCpuUsPerToken = s0 && s1 && s1.tokens > s0.tokens ? (s1.cpuNs - s0.cpuNs) / 1e3 / (s1.tokens - s0.tokens) : NaN
  return { done, errors, seconds, steadySeconds, steadyRunDelayShare, steadyCpuUsPerToken, steadyTokensPerS: s0 && s1 && steadySeconds > 0 ? (s1.tokens - s0.tokens) / steadySeconds : NaN, steadyLateness, allLateness }
}

let modelName = ''
const main = async () => {
  if (hasTaskset && cores >= 2) spawnSync('taskset', ['-cp', values['client-core']!, String(process.pid)], { stdio: 'ignore' })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kvsim-bench-'))
  const { child, info } = await startKvsim(dir)
  serverPid = info.pid
  modelName = (await getJson(`${info.url}/v1/models`)).data[0].id
  console.log(`kvsim ${values.profile} time-scale ${values['time-scale']} pid ${info.pid}` +
    (hasTaskset ? ` pinned to core ${values['server-core']}, client on core ${values['client-core']}` : ' (taskset missing: not pinned)'))
  console.log(`${tokens} tokens per stream, ignore_eos; lateness = socket write time - engine dueNs\n`)
  console.log('ramp = from the first request until every stream has its first token (cumulative at that moment);')
  console.log('steady = every stream open: after the last first token, until the first stream ends.')
  console.log('cpu_us_per_token = kvsim CPU time (server + engine) per token in the steady window.')
  console.log('cpu_wait = share of the steady window kvsim was runnable but waiting for its core (other processes).\n')
  const rows: Record<string, string | number>[] = []
  // A short warm-up so JIT compilation is not billed to the first row.
  await runStreams(info.url, 50)
  const ms = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3))
  for (const n of streamCounts) {
    const r = await runStreams(info.url, n)
    const st = r.steadyLateness
    rows.push({
      streams: n,
      completed: r.done,
      errors: r.errors,
      run_s: r.seconds.toFixed(2),
      tokens_per_s_run: Math.round((r.done * tokens) / r.seconds),
      steady_s: r.steadySeconds.toFixed(2),
      tokens_per_s_steady: Math.round(r.steadyTokensPerS),
      steady_late_p50_ms: ms(st?.p50_ms),
      steady_late_p99_ms: ms(st?.p99_ms),
      steady_late_max_ms: ms(st?.max_ms),
      ramp_late_p99_ms: ms(r.allLateness.p99_ms),
      steady_cpu_wait_pct: (r.steadyRunDelayShare * 100).toFixed(1),
      cpu_us_per_token: r.steadyCpuUsPerToken.toFixed(1),
      goal: st && st.p99_ms <= 1 && r.done === n ? 'met' : 'missed',
    })
  }
  console.table(rows)
  child.stdin!.end()
  await new Promise((r) => child.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
}

await main()
