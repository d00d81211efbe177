// A development CA and a certificate for 127.0.0.1/localhost, made once with the openssl command
// into <data dir>/dev-tls/. A server started with PIPAI_DEV_ALLOW_LOOPBACK=1 on the same data dir
// trusts this CA, so `pipai listen` can receive real, verified deliveries on this machine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevCertificate {
  key: string;
  cert: string;
  caFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message;
    throw new Error(`could not create the dev certificate with openssl (is it installed?): ${detail.trim()}`);
  }
}

export function devCertificate(dataDir: string): DevCertificate {
  const dir = join(dataDir, 'dev-tls');
  const caFile = join(dir, 'ca.pem');
  if (!existsSync(join(dir, 'listener.pem'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca.pem.tmp',
        '-days',
        '3650',
        '-subj',
        '/CN=PipAI dev CA (this machine only)',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    openssl(['req', ...ec, '-keyout', 'listener-key.pem', '-out', 'listener.csr', '-subj', '/CN=localhost'], dir);
    writeFileSync(
      join(dir, 'listener.ext'),
      'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'listener.csr',
        '-CA',
        'ca.pem.tmp',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-out',
        'listener.pem',
        '-days',
        '825',
        '-extfile',
        'listener.ext',
      ],
      dir,
    );
    // ca.pem appears last: a server watching for it never sees a CA without its certificate.
    writeFileSync(caFile, readFileSync(join(dir, 'ca.pem.tmp')));
    for (const leftover of ['ca.pem.tmp', 'listener.csr', 'listener.ext', 'ca.srl'])
      rmSync(join(dir, leftover), { force: true });
  }
  return {
    key: readFileSync(join(dir, 'listener-key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'listener.pem'), 'utf8'),
    caFile,
  };
}
