import { describe, expect, test } from 'vitest'
import { parsePipShow } from '../../../helpers/target/dynamo-provenance'
import { dynamoCliFor, imageBackends, imageVersionsFromPip, parseVersion } from '../../../helpers/target/dynamo-version'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const canned = (name: string) => parsePipShow(readFileSync(resolve(__dirname, '../../fixtures/fake-bin/canned', name), 'utf8'))

describe('Dynamo version awareness', () => {
  test('versions parse from releases, release candidates and dev builds; anything else is unknown', () => {
    expect(parseVersion('1.6.2')).toEqual([1, 6, 2])
    expect(parseVersion('v1.0')).toEqual([1, 0, 0])
    expect(parseVersion('1.3.0rc29')).toEqual([1, 3, 0])
    expect(parseVersion('0.8.0.dev1')).toEqual([0, 8, 0])
    expect(parseVersion('latest')).toBeNull()
    expect(parseVersion(null)).toBeNull()
  })

  test('>= 1.0 gets --discovery-backend, earlier --store-kv; an unknown version the newest with a warning', () => {
    expect(dynamoCliFor('1.0.0', 'image').generation).toBe('discovery-backend')
    expect(dynamoCliFor('1.6.2', 'image')).toEqual({ generation: 'discovery-backend', dynamoVersion: '1.6.2', source: 'image', warning: null })
    expect(dynamoCliFor('0.8.1', 'config').generation).toBe('store-kv')
    expect(dynamoCliFor('0.99.9', 'image').generation).toBe('store-kv')
    const unknown = dynamoCliFor(null, 'image')
    expect(unknown.generation).toBe('discovery-backend')
    expect(unknown.source).toBe('unknown')
    expect(unknown.warning).toMatch(/^DYNAMO_VERSION_UNKNOWN: Expected an ai-dynamo version inside the image, got none; using the newest command line/)
    expect(dynamoCliFor(null, 'unknown').warning).toMatch(/from the image \(pip show\) or dynamo_version, got none/)
    expect(dynamoCliFor('nightly', 'config').warning).toMatch(/in dynamo_version, got "nightly"/)
  })

  test('the backends an image can run follow what is installed in it, per engine', () => {
    expect(imageBackends(imageVersionsFromPip(canned('pip-show-1.6-vllm.txt')), 'vllm')).toEqual(['vllm-offload', 'lmcache', 'kvbm'])
    expect(imageBackends(imageVersionsFromPip(canned('pip-show-1.6-sglang.txt')), 'sglang')).toEqual(['sglang-hicache'])
    expect(imageBackends(imageVersionsFromPip(canned('pip-show-1.7-trtllm-no-kvbm.txt')), 'trtllm')).toEqual(['trtllm-native'])
    // An engine the image does not ship has nothing to run.
    expect(imageBackends(imageVersionsFromPip(canned('pip-show-1.6-sglang.txt')), 'vllm')).toEqual([])
  })
})
