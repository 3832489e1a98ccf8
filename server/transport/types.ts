/**
 * The contract between transports and the query pipeline: a transport hands the handler one
 * complete DNS message (bytes) and sends back what the handler returns. Transports know framing,
 * timeouts and limits, never DNS (STYLE.md §Layout); the handler knows DNS, never sockets, in the
 * way Knot's handler.c serves UDP, TCP and TLS through one function.
 */

export type TransportKind = 'udp' | 'tcp' | 'tls';

export interface QueryContext {
  transport: TransportKind;
  remoteAddress: string;
  remotePort: number;
  /**
   * Stream transports only: the idle timeout currently applied to this connection, for an
   * edns-tcp-keepalive option in the response (RFC 7828 §3.3.2).
   */
  idleTimeoutMs?: number;
}

/**
 * Answers one message. Returns one response, several (a stream answer spread over messages, as
 * AXFR needs; UDP sends each as its own datagram), null to send nothing, or a promise of a response
 * when the answer is deferred (the pipeline defers question-dependent signing so that answers
 * needing none are not kept waiting behind it). The message buffer is not reused by the transport,
 * but the handler must not modify it. Returned buffers may be queued on the socket: they must not
 * be reused afterwards (ResponseWriter.finish() returns a fresh copy for that reason).
 */
export type QueryHandler = (msg: Buffer, ctx: QueryContext) => HandlerResult;

export type HandlerResult = Buffer | readonly Buffer[] | null | Promise<Buffer | null>;

export function isDeferred(r: HandlerResult): r is Promise<Buffer | null> {
  return r !== null && !Buffer.isBuffer(r) && typeof (r as Promise<Buffer | null>).then === 'function';
}

/** Receives faults that are logged and counted, never thrown: handler exceptions, socket errors. */
export type TransportErrorHandler = (err: unknown, where: string) => void;

export interface ListenAddress {
  address: string;
  port: number;
}

export interface UdpStats {
  messages: number;
  responses: number;
  /** Messages the handler chose not to answer (returned null). */
  dropped: number;
  handlerErrors: number;
  sendErrors: number;
}

export interface TcpStats {
  messages: number;
  responses: number;
  dropped: number;
  handlerErrors: number;
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Refused at accept: total or per-client limit reached. */
  connectionsRejected: number;
  /** Of those, refused because the client already held maxConnectionsPerClient. */
  connectionsRejectedPerClient: number;
  closedByIdleTimeout: number;
  closedByZeroLength: number;
  /** Closed because a partial message would have taken more than the shared input budget left. */
  closedByInputBudget: number;
  /** Partial input held beyond the per-connection allowance (stats() only). */
  inputHeldBytes?: number;
  /** Responses not sent because they were empty or longer than 65535 octets. */
  oversizeResponses: number;
  socketErrors: number;
}

export function newTcpStats(): TcpStats {
  return {
    messages: 0,
    responses: 0,
    dropped: 0,
    handlerErrors: 0,
    connectionsAccepted: 0,
    connectionsOpen: 0,
    connectionsRejected: 0,
    connectionsRejectedPerClient: 0,
    closedByIdleTimeout: 0,
    closedByZeroLength: 0,
    closedByInputBudget: 0,
    oversizeResponses: 0,
    socketErrors: 0,
  };
}
