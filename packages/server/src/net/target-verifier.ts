// Verifies a webhook target for real: resolve the host, refuse any non-public address, then complete
// a TLS handshake with that very address and require a certificate valid for the host.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connect, rootCertificates } from 'node:tls';
import { TargetRejectedError, type TargetVerifier } from '../domain/target-url.ts';
import { classifyAddress } from './address-policy.ts';

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface TargetVerifierOptions {
  /** DNS resolution; the system resolver by default. */
  lookup?: LookupAll;
  /** Dev/test only: let hosts resolve to loopback (still https, still a valid certificate). */
  allowLoopback?: boolean;
  /** Extra CA certificates to trust besides the system's (NODE_EXTRA_CA_CERTS works too); a function
   *  is asked again at every check. */
  extraCa?: string[] | (() => string[]);
  timeoutMs?: number;
}

const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the TLS certificate has expired',
  CERT_NOT_YET_VALID: 'the TLS certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the TLS certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the TLS certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the TLS certificate was issued by an unknown authority',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the TLS certificate is not valid for this host',
  ECONNREFUSED: 'the host refused the connection',
  ECONNRESET: 'the host reset the connection',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the host is unreachable',
};

export function createTargetVerifier(options: TargetVerifierOptions = {}): TargetVerifier {
  const lookup = options.lookup ?? systemLookup;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const extraCa =
    typeof options.extraCa === 'function' ? options.extraCa : () => (options.extraCa as string[] | undefined) ?? [];

  async function resolve(hostname: string) {
    if (isIP(hostname)) return [{ address: hostname, family: isIP(hostname) }];
    try {
      const addresses = await lookup(hostname);
      if (addresses.length > 0) return addresses;
    } catch {
      // Reported below as not resolving, whatever the resolver's error.
    }
    throw new TargetRejectedError(`the host ${hostname} does not resolve`);
  }

  return {
    async verify(url) {
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const addresses = await resolve(hostname);
      for (const { address } of addresses) {
        const kind = classifyAddress(address);
        if (kind === 'public' || (kind === 'loopback' && options.allowLoopback)) continue;
        throw new TargetRejectedError(`the host resolves to a non-public (${kind}) address, ${address}`);
      }
      const { address, family } = addresses[0]!;
      const port = Number(url.port || 443);
      const extra = extraCa();
      const ca = extra.length ? [...rootCertificates, ...extra] : undefined;
      await new Promise<void>((resolvePromise, reject) => {
        const socket = connect({
          host: address,
          port,
          // SNI and the identity check use the URL's host name, not the address dialled.
          ...(isIP(hostname) ? {} : { servername: hostname }),
          rejectUnauthorized: true,
          ...(ca ? { ca } : {}),
        });
        const fail = (reason: string) => {
          socket.destroy();
          reject(new TargetRejectedError(reason));
        };
        socket.setTimeout(timeoutMs, () => fail(`the TLS handshake did not finish within ${timeoutMs} ms`));
        socket.once('secureConnect', () => {
          socket.destroy();
          resolvePromise();
        });
        socket.once('error', (error: NodeJS.ErrnoException) => {
          fail(TLS_REASONS[error.code ?? ''] ?? `the TLS connection failed (${error.code ?? error.message})`);
        });
      });
      return { address, family: family === 6 ? 6 : 4 };
    },
  };
}
