// Run by fio.test.ts as a separate process: starts contention, prints where its files are,
// then waits to be interrupted with SIGINT (as a Ctrl-C would).
import { startContention } from '../../../helpers/storage/fio'

const [scratch, out, binary] = process.argv.slice(2)
const clock = { nowMs: () => performance.now(), wallMs: () => Date.now() }
// A short runtime bound: if a worker ever escaped the group kill, fio's own runtime still ends it soon.
const c = await startContention({ profile: 'moderate', scratchDir: scratch, kvCacheDir: scratch, outDir: out, clock, size: '4M', binary, runtimeS: 30 })
process.stdout.write(`${JSON.stringify({ workDir: c.workDir, pid: c.pid })}\n`)
setInterval(() => {}, 1000)
