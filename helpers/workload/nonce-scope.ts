import { AsyncLocalStorage } from 'node:async_hooks'

// Nonces were keyed by a request's index only, so request i of step c2 was byte-identical to
// request i of c1, and the next run with the same seed repeated them again: a server's prefix
// cache then served "cold" prompts (1,023 of 1,024 tokens). The suite runtime runs each phase
// inside a scope naming the run, suite, phase, step and repetition; every nonce built during that
// phase mixes the scope in. Outside a scope (unit tests, stand-alone workloads) nonces are as before.

const store = new AsyncLocalStorage<string>()

/** Runs `fn` (and everything it awaits) with nonces scoped to `scope`. */
export const withNonceScope = <T>(scope: string, fn: () => T): T => store.run(scope, fn)

/** The active scope, or null outside one. */
export const currentNonceScope = (): string | null => store.getStore() ?? null
