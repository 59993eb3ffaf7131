/**
 * TCP session state of one flow: handshake progress, sequence numbers per
 * direction, FIN and RST. Filled in by the flow stage for TCP flows.
 */
export class TcpSession {
  /** Session state (TcpState in this file). */
  state: number;

  constructor() {
    this.state = 0;
  }
}
