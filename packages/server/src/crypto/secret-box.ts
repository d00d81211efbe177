// Encryption at rest for secrets (API secrets, webhook signing secrets): AES-256-GCM under a key
// derived from the master key, so the database alone never reveals one.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/** PIPAI_MASTER_KEY: 32 random bytes, base64 or base64url. */
export function parseMasterKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw new Error('PIPAI_MASTER_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  return key;
}

export function generateMasterKey(): string {
  return randomBytes(32).toString('base64');
}

/** A subkey for one purpose, so the master key itself encrypts and signs nothing. */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `pipai:${purpose}`, 32));
}

export class SecretBox {
  readonly #key: Buffer;
  // Opening (AES-GCM) showed in profiles of signed requests and deliveries; opened secrets are kept,
  // keyed by their sealed form, so that a rotated secret is never served from here.
  readonly #opened = new Map<string, string>();

  constructor(masterKey: Buffer) {
    this.#key = deriveKey(masterKey, 'secrets-at-rest');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  open(sealed: string): string {
    let secret = this.#opened.get(sealed);
    if (secret === undefined) {
      if (this.#opened.size >= 10_000) this.#opened.clear();
      secret = this.#decrypt(sealed);
      this.#opened.set(sealed, secret);
    }
    return secret;
  }

  #decrypt(sealed: string): string {
    const [version, payload] = sealed.split('.');
    if (version !== VERSION || !payload) throw new Error('not a sealed secret');
    const bytes = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}
