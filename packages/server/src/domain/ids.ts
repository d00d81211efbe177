// Identifiers and secrets, all from the CSPRNG, in the formats the spec documents.
import { randomBytes } from 'node:crypto';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** wh_ + 8 hex (the spec allows 6-8); collisions are retried by the caller. */
export const newWebhookId = () => `wh_${hex(4)}`;
export const newAccountId = () => `acct_${hex(8)}`;
export const newApiKeyId = () => `key_${hex(8)}`;
/** 240 random bits as 40 base64url characters. */
export const newWebhookSecret = () => randomBytes(30).toString('base64url');
export const newApiSecret = () => `sk_${randomBytes(30).toString('base64url')}`;
export const newEventId = () => `evt_${hex(12)}`;
export const newDeliveryId = () => `dlv_${hex(12)}`;
