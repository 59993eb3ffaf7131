/**
 * Transformed payload buffers on reassembled streams: a tcp rule that
 * base64-decodes the payload must see the stream, so a credential split
 * across two segments still decodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../cli/run.js';
import { TcpConversation, writePcap } from '../test-support/packet-craft.js';

// "YXR0YWNrZXI6c2VjcmV0" is base64 for "attacker:secret".
const REQUEST = 'GET / HTTP/1.1\r\nHost: www.example.com\r\nAuthorization: Basic YXR0YWNrZXI6c2VjcmV0\r\n\r\n';
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';

async function alertSids(rules: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-stream-transform-'));
  try {
    const split = REQUEST.indexOf('YXR0YWNr') + 4;
    const c = new TcpConversation('198.51.100.1', '203.0.113.2', 40000, 80).handshake();
    c.clientData(0, REQUEST.slice(0, split)).clientData(split, REQUEST.slice(split));
    c.serverAck(REQUEST.length).serverData(RESPONSE, REQUEST.length).close(REQUEST.length, RESPONSE.length);
    writePcap(join(dir, 'input.pcap'), c.frames);
    writeFileSync(join(dir, 'test.rules'), rules);
    writeFileSync(join(dir, 'kapu.yaml'), 'outputs:\n  - eve-log:\n      enabled: yes\n      filename: eve.json\n      types:\n        - alert\n');
    await runCapture({
      pcapPath: join(dir, 'input.pcap'),
      configPath: join(dir, 'kapu.yaml'),
      ruleFiles: [join(dir, 'test.rules')],
      extraRuleFiles: [],
      logDir: dir,
      checksumMode: 'all',
      sets: [],
      mode: 'ids',
      env: {},
      quiet: true,
    });
    return readFileSync(join(dir, 'eve.json'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { event_type: string; alert?: { signature_id: number } })
      .filter((event) => event.event_type === 'alert')
      .map((event) => event.alert!.signature_id)
      .sort((a, b) => a - b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('base64 on stream across segments', async () => {
  const sids = await alertSids([
    'alert tcp any any -> any 80 (content:"Basic "; base64_decode:relative; base64_data; content:"attacker:secret"; sid:1;)',
    'alert tcp-stream any any -> any 80 (content:"Basic "; base64_decode:relative; base64_data; content:"attacker"; sid:2;)',
    'alert tcp any any -> any 80 (content:"Basic "; base64_decode:relative; base64_data; content:"intruder"; sid:3;)',
    '',
  ].join('\n'));
  assert.deepEqual(sids, [1, 2]);
});
