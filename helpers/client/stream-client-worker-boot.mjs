// Worker entry for the sharded client: registers tsx in this thread (execArgv --import is not
// honoured for workers on Node 20), then loads the TypeScript shard, as bin/kvsim.mjs does.
import { register } from 'tsx/esm/api'

register()
await import(new URL('./stream-client-worker.ts', import.meta.url).href)
