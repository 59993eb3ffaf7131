import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '../../core/packet.js';
import { FlowState } from '../../flow/flow.js';
import { TcpSession, TcpState } from '../../stream/tcp-session.js';
import { createTestFlow, createTestPacket } from '../test-support/packets.js';
import { FlowFlag } from '../signature.js';
import { matchFlowFlags } from './flow.js';

function tcpFlow(stateBefore: number, stateAfter: number) {
  const flow = createTestFlow();
  const session = new TcpSession();
  session.stateBefore = stateBefore;
  session.state = stateAfter;
  flow.tcp = session;
  flow.state = stateAfter >= TcpState.ESTABLISHED ? FlowState.ESTABLISHED : FlowState.NEW;
  return flow;
}

test('final handshake ack not established', () => {
  const p = createTestPacket({ payload: '' });
  p.direction = Direction.TO_SERVER;
  assert.equal(matchFlowFlags(FlowFlag.ESTABLISHED, p, tcpFlow(TcpState.SYN_RECV, TcpState.ESTABLISHED)), false);
  assert.equal(matchFlowFlags(FlowFlag.NOT_ESTABLISHED, p, tcpFlow(TcpState.SYN_RECV, TcpState.ESTABLISHED)), true);
});

test('data after handshake established', () => {
  const p = createTestPacket({ payload: 'x' });
  p.direction = Direction.TO_SERVER;
  assert.equal(matchFlowFlags(FlowFlag.ESTABLISHED, p, tcpFlow(TcpState.ESTABLISHED, TcpState.ESTABLISHED)), true);
});

test('closing packet still established', () => {
  const p = createTestPacket({ payload: '' });
  p.direction = Direction.TO_CLIENT;
  assert.equal(matchFlowFlags(FlowFlag.ESTABLISHED, p, tcpFlow(TcpState.ESTABLISHED, TcpState.CLOSED)), true);
});
