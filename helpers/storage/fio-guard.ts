import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs'
import { dirname, relative, resolve, sep } from 'node:path'
import { ContentionUnavailableError } from './contention-unavailable-error'

// fio writes only inside the configured scratch directory, which must sit on the same
// filesystem as the KV cache (so contention hits the KV tier's drive) and must never be, or
// lead to, a raw device. Every path is resolved through symlinks before it is judged.
export interface StatLike {
  dev: bigint
  isDirectory(): boolean
  isBlockDevice(): boolean
  isCharacterDevice(): boolean
}
export type StatFn = (path: string) => StatLike

const defaultStat: StatFn = (p) => statSync(p, { bigint: true })

const refuse = (reason: string): never => {
  throw new ContentionUnavailableError(reason)
}

/** Resolves and checks the scratch dir; returns its real path. */
export const assertSafeScratch = (scratchDir: string, kvCacheDir: string, stat: StatFn = defaultStat): string => {
  if (resolve(scratchDir).startsWith('/dev/') || resolve(scratchDir) === '/dev')
    refuse(`Expected a scratch directory, got a device path ${scratchDir}`)
  // The configured scratch root may not exist yet on a fresh machine: create it (never under /dev).
  if (!existsSync(scratchDir)) {
    try {
      // One level at a time: Node's recursive mkdir can spin forever on pseudo filesystems.
      const missing: string[] = []
      for (let p = resolve(scratchDir); !existsSync(p); p = dirname(p)) missing.unshift(p)
      for (const p of missing) mkdirSync(p)
    } catch (e) {
      return refuse(`Expected to create scratch directory ${scratchDir}, got ${(e as Error).message}`)
    }
  }
  let real: string
  try {
    real = realpathSync(scratchDir)
  } catch (e) {
    return refuse(`Expected scratch directory ${scratchDir} to exist, got ${(e as Error).message}`)
  }
  if (real.startsWith('/dev/') || real === '/dev') refuse(`Expected a scratch directory, got ${scratchDir} resolving to device path ${real}`)
  const st = stat(real)
  if (st.isBlockDevice() || st.isCharacterDevice()) refuse(`Expected a scratch directory, got a device node at ${real}`)
  if (!st.isDirectory()) refuse(`Expected scratch ${real} to be a directory, got another file type`)
  let kv: StatLike
  try {
    kv = stat(realpathSync(kvCacheDir))
  } catch (e) {
    return refuse(`Expected KV cache dir ${kvCacheDir} to exist, got ${(e as Error).message}`)
  }
  if (kv.dev !== st.dev)
    refuse(`Expected scratch ${real} on the KV cache dir's filesystem (st_dev ${kv.dev}), got st_dev ${st.dev}: contention there would not touch the KV tier`)
  return real
}

/** Throws unless `path` (symlinks resolved, or its nearest existing parent) lies inside `scratchReal`. */
export const assertInsideScratch = (path: string, scratchReal: string): string => {
  let p = resolve(path)
  let tail = ''
  // The path may not exist yet: resolve its nearest existing ancestor.
  for (;;) {
    try {
      p = realpathSync(p) + tail
      break
    } catch {
      const parent = resolve(p, '..')
      if (parent === p) break
      tail = sep + relative(parent, p) + tail
      p = parent
    }
  }
  const rel = relative(scratchReal, p)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`))
    refuse(`Expected a path inside scratch ${scratchReal}, got ${path} (resolves to ${p})`)
  if (p.startsWith('/dev/')) refuse(`Expected a file path, got device path ${p}`)
  return p
}

/** Job files may only place files through ${TIERBENCH_FIO_DIR}: any other path option is refused. */
export const assertJobFileSafe = (text: string, profile: string): void => {
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('[')) continue
    const [k, ...v] = line.split('=')
    const key = k.trim().toLowerCase()
    const val = v.join('=').trim()
    if (['filename', 'filename_format', 'opendir', 'ioscheduler', 'exec_prerun', 'exec_postrun', 'write_iolog', 'read_iolog'].includes(key))
      refuse(`Expected fio profile ${profile} without ${key}= (files go only to the guarded scratch dir), got ${line}`)
    if (key === 'directory' && val !== '${TIERBENCH_FIO_DIR}')
      refuse(`Expected fio profile ${profile} to use directory=\${TIERBENCH_FIO_DIR}, got ${line}`)
    if (key === 'ioengine' && ['sg', 'exec', 'filedelete', 'nbd', 'rdma', 'net', 'netsplice'].includes(val))
      refuse(`Expected a file ioengine in fio profile ${profile}, got ${line}`)
  }
}
