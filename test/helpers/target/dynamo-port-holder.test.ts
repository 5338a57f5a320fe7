import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { existsSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { listeningInodes, portHolder } from '../../../helpers/target/dynamo-port-holder'

describe('who holds a port', () => {
  test.skipIf(!existsSync('/proc/net/tcp'))('a listener of this process is found by pid, and a closed port has no holder', async () => {
    const srv = createServer()
    await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()))
    const port = (srv.address() as AddressInfo).port
    try {
      expect(listeningInodes(port).size).toBeGreaterThan(0)
      const h = portHolder(port)
      expect(h?.pid).toBe(process.pid)
      expect(h?.cmdline).toMatch(/node/)
    } finally {
      await new Promise((r) => srv.close(r))
    }
    expect(portHolder(port)).toBeNull()
  })
})
