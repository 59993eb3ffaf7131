import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../core/packet.js';
import { FlowFrames, FrameConfig, TlsFrameType, type Frame } from '../app/frames.js';
import { frameObjectText, framePayload } from './eve-frame.js';

function framesWithData(): FlowFrames {
  const frames = new FlowFrames('tls', true, new FrameConfig(true).enabledTypes('tls') as Uint8Array);
  const head = Uint8Array.from(Buffer.from('HEAD', 'latin1'));
  const tail = Uint8Array.from(Buffer.from('TAIL', 'latin1'));
  frames.beginChunk(Direction.TO_CLIENT, head, 0, 4, 0);
  frames.addGap(Direction.TO_CLIENT, 3);
  frames.beginChunk(Direction.TO_CLIENT, tail, 0, 4, 7);
  return frames;
}

test('frame payload marks gaps', () => {
  const frames = framesWithData();
  const frame = frames.addAt(Direction.TO_CLIENT, TlsFrameType.PDU, 2, 9) as Frame;
  assert.equal(Buffer.from(framePayload(frame, frames.bytes[1], 4096)).toString('latin1'), 'AD[3 bytes missing]TAIL');
  assert.equal(Buffer.from(framePayload(frame, frames.bytes[1], 3)).toString('latin1'), 'AD[1 bytes missing]');
});

test('frame object fields', () => {
  const frames = framesWithData();
  const frame = frames.addAt(Direction.TO_CLIENT, TlsFrameType.HDR, 0, 4, 0) as Frame;
  assert.equal(frameObjectText(frame, frames),
    '"frame":{"id":' + frame.id + ',"type":"hdr","direction":"toclient","stream_offset":0,"length":4,"complete":true,' +
    '"payload":"' + Buffer.from('HEAD').toString('base64') + '","payload_printable":"HEAD","tx_id":0}');
});

test('frame object of unknown length', () => {
  const frames = framesWithData();
  // The whole-stream frame: its length is what the direction has so far, and it is never complete.
  const stream = (frames.frames[Direction.TO_CLIENT] as Frame[])[0] as Frame;
  const text = frameObjectText(stream, frames);
  assert.match(text, /"type":"stream"/);
  assert.match(text, /"length":11,"complete":false/);
  assert.doesNotMatch(text, /tx_id/);
});
