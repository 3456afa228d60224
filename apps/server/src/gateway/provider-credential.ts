// The customer's provider key for a gateway call, or the clear error an agent (and its operator) needs: none stored
// yet (400: an admin sets it), or one this server cannot decrypt (503: its SPENDGUARD_ENCRYPTION_KEY is not the key
// the credential was stored under — never an opaque 500).
import { ApiError } from '../http/errors.js';
import { CredentialUnreadableError } from './credentials.js';
import type { CredentialSource } from './deps.js';
import type { ProviderName } from './endpoints/types.js';
import type { Credential } from './upstream.js';

export async function providerCredential(
  credentials: CredentialSource,
  customerId: string,
  provider: ProviderName,
): Promise<Credential> {
  let credential: Credential | null;
  try {
    credential = await credentials.credentialFor(customerId, provider);
  } catch (error) {
    if (!(error instanceof CredentialUnreadableError)) throw error;
    throw new ApiError(
      'unavailable',
      `The stored ${provider} key cannot be decrypted by this server${error.keyId ? ` (it was encrypted under key id ${error.keyId})` : ''}: check SPENDGUARD_ENCRYPTION_KEY, or have an admin set the key again with PUT /v1/providers/${provider}.`,
      {},
      60,
    );
  }
  if (!credential) {
    throw new ApiError(
      'invalid_request',
      `No ${provider} key is set for this account: an admin sets it with PUT /v1/providers/${provider}.`,
      { details: [{ field: 'provider', problem: `has no credential (PUT /v1/providers/${provider})` }] },
    );
  }
  return credential;
}
