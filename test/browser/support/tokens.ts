import { existingIssuer } from '../../../local/issuer-key';
import { localLayout } from '../../../local/layout';
import { actorFor, readManifest, type StackManifest, type StackUser } from '../../../local/manifest';
import type { Actor, Role } from '../../../lambdas/shared/tenancy/actor';

/**
 * Access tokens for API set-up calls from browser tests (and the console benchmark), minted the
 * way `npm run token` mints them: from the manifest and signing key the running stack keeps in
 * its data folder (NEMT_LOCAL_DIR, set by the global setup). For arranging data only: what a
 * test proves about the console it proves through the console's own sign-in.
 */
export interface StackIdentity {
  readonly manifest: StackManifest;
  /** A fresh token (1 hour) for the first demo user with `role`, or the user with that email. */
  token(role: Role, email?: string): string;
  /** The user a token would be for. */
  user(role: Role, email?: string): StackUser;
  /** `{ Authorization: 'Bearer …' }` for Playwright's request context or fetch. */
  authorization(role: Role, email?: string): Record<string, string>;
  /** A fresh token (1 hour) for any account, e.g. one a test created (not in the manifest): its claims as given. */
  tokenFor(actor: Actor): string;
}

export function stackIdentity(dataDir: string | undefined = process.env.NEMT_LOCAL_DIR): StackIdentity {
  const layout = localLayout({ NEMT_LOCAL_DIR: dataDir });
  const manifest = readManifest(layout.manifest);
  if (!manifest) throw new Error(`no local stack manifest in ${layout.root}: is the stack running?`);
  const issuer = existingIssuer(layout.issuerKey, manifest.issuer);
  if (!issuer) throw new Error(`no token signing key in ${layout.root}`);
  const user = (role: Role, email?: string): StackUser => {
    const wanted = email?.toLowerCase();
    const found = manifest.users.find((candidate) =>
      candidate.role === role && (wanted ? candidate.email.toLowerCase() === wanted : candidate.demo));
    if (!found) throw new Error(`no ${role}${email ? ` ${email}` : ' demo user'} in the local stack's manifest`);
    return found;
  };
  const token = (role: Role, email?: string) => issuer.mint(actorFor(user(role, email)), { expiresInSeconds: 3600 });
  return {
    manifest,
    token,
    user,
    authorization: (role, email) => ({ Authorization: `Bearer ${token(role, email)}` }),
    tokenFor: (actor) => issuer.mint(actor, { expiresInSeconds: 3600 }),
  };
}
