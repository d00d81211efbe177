// A throwaway certificate authority and HTTPS endpoints on loopback, for the URL rules: valid,
// self-signed, expired and wrong-host certificates, all real TLS.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';

const { publicKey: publicPem, privateKey: privatePem } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
// One key pair serves every test certificate: key generation is the slow part, and irrelevant here.
const publicKey = forge.pki.publicKeyFromPem(publicPem);
const privateKey = forge.pki.privateKeyFromPem(privatePem);

const DAY = 86_400_000;

interface CertificateOptions {
  commonName: string;
  hosts?: string[];
  notBefore?: Date;
  notAfter?: Date;
  isCa?: boolean;
  issuer?: forge.pki.Certificate;
}

function certificate(options: CertificateOptions): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 30 * DAY);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.subject.attributes : subject);
  const extensions: object[] = [{ name: 'basicConstraints', cA: options.isCa ?? false, critical: true }];
  if (options.isCa) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  if (options.hosts) {
    extensions.push({
      name: 'subjectAltName',
      altNames: options.hosts.map((host) => (/^[\d.]+$/.test(host) ? { type: 7, ip: host } : { type: 2, value: host })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(privateKey, forge.md.sha256.create());
  return cert;
}

const ca = certificate({ commonName: 'PipAI Test CA', isCa: true });

/** PEM of the test CA: trust it (extraCa or NODE_EXTRA_CA_CERTS) to make `valid` certificates valid. */
export const testCaPem = forge.pki.certificateToPem(ca);

export type CertificateKind = 'valid' | 'self-signed' | 'expired' | 'wrong-host';

export function certificateFor(kind: CertificateKind, host: string): { key: string; cert: string } {
  const hosts = kind === 'wrong-host' ? ['other.invalid'] : [host];
  const issued =
    kind === 'self-signed'
      ? certificate({ commonName: host, hosts })
      : certificate({
          commonName: hosts[0]!,
          hosts,
          issuer: ca,
          ...(kind === 'expired'
            ? { notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - DAY) }
            : {}),
        });
  return { key: privatePem, cert: forge.pki.certificateToPem(issued) };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Date.now() when the request had fully arrived. */
  at: number;
}

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** How an endpoint answers: a response (now or later), or 'hang' to never answer. */
export type Responder = (request: ReceivedRequest) => Answer | Promise<Answer>;

export interface HttpsEndpoint {
  port: number;
  /** Requests received, for tests that look at deliveries. */
  received: ReceivedRequest[];
  /** Change how later requests are answered. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const answerOk: Responder = () => ({ status: 200, body: 'ok' });

/** An HTTPS server on 127.0.0.1 presenting a certificate of `kind` for `host`; answers 200 unless told otherwise. */
export async function startHttpsEndpoint(
  kind: CertificateKind,
  host: string,
  responder: Responder = answerOk,
): Promise<HttpsEndpoint> {
  const received: ReceivedRequest[] = [];
  let respond = responder;
  const server: Server = createServer(certificateFor(kind, host), (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() };
      received.push(request);
      void Promise.resolve(respond(request)).then((answer) => {
        if (answer === 'hang') return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    respondWith(next) {
      respond = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
