import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  modelSnapshotId,
  parseImageInspect,
  parseLspciNvmeLink,
  parseNvidiaSmiQ,
  parseNvmeIdCtrl,
  parsePipShow,
} from '../../../helpers/target/dynamo-provenance'

const canned = (name: string) => readFileSync(resolve(__dirname, '../../fixtures/fake-bin/canned', name), 'utf8')

describe('provenance parsers', () => {
  test('docker image inspect gives the repo digest and the image id', () => {
    expect(parseImageInspect(canned('docker-image-inspect.txt'))).toEqual({
      digest: 'sha256:9b2f4c1d7e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c',
      imageId: 'sha256:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b',
    })
    expect(parseImageInspect('[] sha256:abc\n')).toEqual({ digest: null, imageId: 'sha256:abc' })
    expect(parseImageInspect('garbage')).toEqual({ digest: null, imageId: null })
  })

  test('pip show yields one version per package, with underscores normalized', () => {
    expect(parsePipShow(canned('pip-show.txt'))).toEqual({ 'ai-dynamo': '0.7.1', 'tensorrt-llm': '1.2.0rc2', kvbm: '0.7.1' })
    expect(parsePipShow('WARNING: Package(s) not found: kvbm\n')).toEqual({})
  })

  test('nvidia-smi -q gives GPU name, driver and CUDA version; missing fields are null', () => {
    expect(parseNvidiaSmiQ(canned('nvidia-smi-q.txt'))).toEqual({ name: 'NVIDIA GB10', driverVersion: '580.95.05', cudaVersion: '13.0' })
    expect(parseNvidiaSmiQ('')).toEqual({ name: null, driverVersion: null, cudaVersion: null })
  })

  test('nvme id-ctrl gives model, firmware and serial', () => {
    expect(parseNvmeIdCtrl(canned('nvme-id-ctrl.txt'))).toEqual({ model: 'SAMSUNG MZALC4T0HBL1-00B07', firmware: '1B2QFXP7', serial: 'S7XXNF0X000000' })
  })

  test('lspci -vv gives the NVMe controller link, not the bridge above it', () => {
    const link = parseLspciNvmeLink(canned('lspci-vv.txt'))
    expect(link.device).toMatch(/^0000:01:00\.0 Non-Volatile memory controller/)
    expect(link.capable).toBe('Port #0, Speed 16GT/s, Width x4, ASPM L1, Exit Latency L1 <64us')
    expect(link.status).toBe('Speed 16GT/s (ok), Width x4 (ok)')
    expect(parseLspciNvmeLink('00:00.0 Host bridge: x\n')).toEqual({ device: null, capable: null, status: null })
  })

  test('the model snapshot id comes from the HF snapshots path', () => {
    expect(modelSnapshotId('/root/.cache/huggingface/hub/models--nvidia--Llama-3.1-8B-Instruct-FP8/snapshots/42d9515ebd69eea3a87351d079c671c3c5ff0a31')).toBe(
      '42d9515ebd69eea3a87351d079c671c3c5ff0a31',
    )
    expect(modelSnapshotId('/models/llama')).toBeNull()
  })
})
