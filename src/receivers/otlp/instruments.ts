/**
 * Server-side self-metrics of the otlp receiver (both transports), besides ReceiverObs' accepted/refused points:
 *   otelbridge_receiver_request_duration_seconds histogram, seconds, buckets 1 ms .. 30 s; {transport, method, path, status}
 *   otelbridge_receiver_requests           counter; {transport, method, path, status}
 *   otelbridge_receiver_requests_in_flight gauge; {transport}
 *   otelbridge_receiver_open_connections   gauge; {transport}
 *   otelbridge_receiver_received_bytes     counter, bytes on the wire (before decompression); {transport}
 *   otelbridge_receiver_errors             counter of unexpected exceptions caught in handlers; {transport, where}
 * `path` is the URL path (HTTP) or the full gRPC method; `status` the HTTP code or the gRPC code name.
 * Contract: `begin()` returns a closure that must be called exactly once per request with its status; it records
 * duration and totals and releases the in-flight slot. Also keeps plain totals for `status()`.
 */
import type { CreateSettings } from '../../component/component.ts';

export type Transport = 'grpc' | 'http';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServerInstruments {
  private readonly duration;
  private readonly requests;
  private readonly bytes;
  private readonly errors;
  readonly inFlight: Record<Transport, number> = { grpc: 0, http: 0 };
  readonly connections: Record<Transport, number> = { grpc: 0, http: 0 };
  readonly totals: Record<Transport, { requests: number; failed: number; bytes: number }> = {
    grpc: { requests: 0, failed: 0, bytes: 0 },
    http: { requests: 0, failed: 0, bytes: 0 },
  };

  constructor(settings: CreateSettings) {
    const t = settings.telemetry;
    this.duration = t.histogram('otelbridge_receiver_request_duration_seconds', 'Duration of OTLP requests served by the receiver.', 's', DURATION_BUCKETS);
    this.requests = t.counter('otelbridge_receiver_requests', 'OTLP requests served by the receiver, by transport, method, path and status.', '{requests}');
    this.bytes = t.counter('otelbridge_receiver_received_bytes', 'Request body bytes received on the wire (before decompression).', 'By');
    this.errors = t.counter('otelbridge_receiver_errors', 'Unexpected exceptions caught in request handlers (answered as internal errors).', '{errors}');
    t.gauge('otelbridge_receiver_requests_in_flight', 'OTLP requests being processed.', () => [
      [this.inFlight.grpc, { transport: 'grpc' }],
      [this.inFlight.http, { transport: 'http' }],
    ], '{requests}');
    t.gauge('otelbridge_receiver_open_connections', 'Open client connections.', () => [
      [this.connections.grpc, { transport: 'grpc' }],
      [this.connections.http, { transport: 'http' }],
    ], '{connections}');
  }

  begin(transport: Transport, method: string, path: string): (status: string | number, ok: boolean) => void {
    const t0 = performance.now();
    this.inFlight[transport]++;
    let done = false;
    return (status, ok) => {
      if (done) return;
      done = true;
      this.inFlight[transport]--;
      const attrs = { transport, method, path, status: String(status) };
      this.duration.record((performance.now() - t0) / 1000, attrs);
      this.requests.add(1, attrs);
      this.totals[transport].requests++;
      if (!ok) this.totals[transport].failed++;
    };
  }

  received(transport: Transport, n: number): void {
    this.bytes.add(n, { transport });
    this.totals[transport].bytes += n;
  }

  caught(transport: Transport, where: string): void {
    this.errors.add(1, { transport, where });
  }
}
