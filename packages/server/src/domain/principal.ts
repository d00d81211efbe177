// Who a request acts for, once authenticated.
export interface Principal {
  accountId: string;
  accountName: string;
  keyId: string;
  scopes: readonly string[];
}
