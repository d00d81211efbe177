// The scopes an API key can carry, as the spec's operations require them.
export const SCOPES = ['webhooks:read', 'webhooks:write'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);
