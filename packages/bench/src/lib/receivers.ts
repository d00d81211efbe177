// Loopback HTTPS receivers with a certificate from the test CA; they count, and optionally verify,
// what arrives.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { certificateFor } from '@pipai/testkit/pki';

export interface Receiver {
  url: string;
  /** Deliveries received so far. */
  count: number;
  close(): Promise<void>;
}

export async function startReceivers(
  count: number,
  onDelivery?: (headers: Record<string, string | string[] | undefined>, body: string) => void,
): Promise<Receiver[]> {
  const tls = certificateFor('valid', '127.0.0.1');
  return Promise.all(
    Array.from({ length: count }, async () => {
      const receiver = { url: '', count: 0, close: async () => {} } as Receiver;
      const server: Server = createServer({ ...tls, keepAliveTimeout: 30_000 }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          receiver.count += 1;
          onDelivery?.(req.headers, Buffer.concat(chunks).toString('utf8'));
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      receiver.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      receiver.close = () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
      return receiver;
    }),
  );
}
