/**
 * The one gate every data path goes through (DataLink products, file access, SODA
 * cutouts, previews). The server plugs in the rights of src/auth; without it everyone
 * may read everything that is published.
 */

import type { AccessDecision, AccessRequest } from '../auth/access.js';

/** What the gate may look at in a request (headers, path) and what it answers (src/auth). */
export type { AccessDecision, AccessRequest };

/** Decides whether `request` may read the data of dataset `did` (an obs_publisher_did). */
export type Authorize = (request: AccessRequest, did: string) => Promise<AccessDecision>;

/** The policy of a fully public archive. */
export const allowEveryone: Authorize = async () => ({ allowed: true });

/** True when `request` may read at least one of the datasets (a file several datasets share). */
export async function mayReadAny(
  authorize: Authorize,
  request: AccessRequest,
  dids: readonly string[],
): Promise<AccessDecision> {
  let last: AccessDecision = { allowed: false, reason: 'no dataset uses this file' };
  for (const did of dids) {
    last = await authorize(request, did);
    if (last.allowed) return last;
  }
  return last;
}
