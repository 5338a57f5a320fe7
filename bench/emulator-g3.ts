// G3 onboard read throughput through the engine's real read path (openG3File: the unlinked,
// preallocated kvsim-disk-cache-XXXXXX file, aligned O_DIRECT positional reads, 8 buffers in
// flight on the libuv pool) next to fio's sequential O_DIRECT read on the same directory.
//   npm run bench:emulator-g3 -- [--dir <parent dir>] [--mib <total MiB>] [--profile <name>] [--io-scale <n>]
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { promisify } from 'node:util'
import { kvBlockBytes } from '../emulator/engine/emulator-profile'
import { openG3File } from '../emulator/engine/g3-file'
import { getProfile } from '../emulator/profiles'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    mib: { type: 'string', default: '512' },
    profile: { type: 'string', default: 'llama31-8b-fp8' },
    'io-scale': { type: 'string', default: '1' },
  },
})
const profile = getProfile(values.profile!)
const ioScale = Number(values['io-scale'])
const totalBytes = Number(values.mib) * 1024 * 1024
const blockBytes = Math.ceil(kvBlockBytes(profile) / ioScale / 4096) * 4096
const blocks = Math.max(1, Math.floor(totalBytes / blockBytes))
const gbps = (bytes: number, ns: bigint) => bytes / (Number(ns) / 1e9) / 1e9

const dir = await mkdtemp(join(values.dir!, 'kvsim-g3-bench-'))
try {
  const g3 = await openG3File({ dir, blocks, blockBytes, disableODirect: false })
  let readGbps = 0
  let writeGbps = 0
  try {
    const t0 = process.hrtime.bigint()
    await Promise.all(Array.from({ length: blocks }, (_, i) => g3.write(i, `block${String(i).padStart(11, '0')}`)))
    writeGbps = gbps(blocks * g3.blockBytes, process.hrtime.bigint() - t0)
    // The engine onboards a request's blocks with one read per block, all issued at once.
    const t1 = process.hrtime.bigint()
    const got = await Promise.all(Array.from({ length: blocks }, (_, i) => g3.read(i, false)))
    readGbps = gbps(blocks * g3.blockBytes, process.hrtime.bigint() - t1)
    const bad = got.findIndex((c, i) => c !== `block${String(i).padStart(11, '0')}`)
    if (bad >= 0) throw new Error(`Expected block ${bad} to read back its content got ${got[bad]}`)
  } finally {
    await g3.close()
  }

  const fio = async (extra: string[]) => {
    const args = ['--name=g3seq', `--directory=${dir}`, '--direct=1', '--rw=read', `--bs=${blockBytes}`, `--size=${blocks * blockBytes}`, '--output-format=json', ...extra]
    const { stdout } = await promisify(execFile)('fio', args, { maxBuffer: 16 << 20 })
    const job = JSON.parse(stdout).jobs[0]
    return job.read.bw_bytes / 1e9
  }
  const fioQd1 = await fio(['--ioengine=psync'])
  const fioQd8 = await fio(['--ioengine=libaio', '--iodepth=8'])

  console.log(`kvsim G3 bench: profile ${profile.name}, io-scale ${ioScale}, ${blocks} blocks × ${blockBytes} B = ${((blocks * blockBytes) / 2 ** 20).toFixed(0)} MiB in ${dir}; O_DIRECT ${g3.oDirect}${g3.fallbackReason ? ` (${g3.fallbackReason})` : ''}\n`)
  console.log('| path | read GB/s | vs fio psync |')
  console.log('|---|---|---|')
  console.log(`| engine G3 onboard reads (8 in flight) | ${readGbps.toFixed(2)} | ${((readGbps / fioQd1) * 100).toFixed(0)} % |`)
  console.log(`| fio --direct=1 --rw=read --ioengine=psync (QD1) | ${fioQd1.toFixed(2)} | 100 % |`)
  console.log(`| fio --direct=1 --rw=read --ioengine=libaio --iodepth=8 | ${fioQd8.toFixed(2)} | ${((fioQd8 / fioQd1) * 100).toFixed(0)} % |`)
  console.log(`\nengine G3 offload writes: ${writeGbps.toFixed(2)} GB/s`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
