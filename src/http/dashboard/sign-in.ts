/**
 * Signing in to the dashboard with Discord (design §9): a one-time `state` bound to the browser that
 * asked for it (a short-lived cookie holding a nonce whose hash is stored with the state), PKCE S256,
 * and sessions kept server-side (the cookie carries a random token; the database its SHA-256).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Repositories } from "../../db/index.ts";
import type { DashboardSession } from "../../db/schema.ts";
import type { DiscordIdentity } from "../../discord/oauth.ts";

/** A sign-in must come back from Discord within this. */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Sessions end this long after sign-in, whatever happens in between. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

export type SignInFailure =
  /** No sign-in with this state (never started, already used, or expired). */
  | "state-unknown"
  /** The state was started in another browser (or this browser's cookie is gone). */
  | "other-browser"
  /** The person pressed Cancel on Discord's page. */
  | "denied"
  /** The callback carried no code. */
  | "no-code";

export class SignInError extends Error {
  override readonly name = "SignInError";
  constructor(readonly reason: SignInFailure) {
    super(`dashboard sign-in refused: ${reason}`);
  }
}

/** What the callback needs of Discord: the code exchanged, then who it is and their guilds. */
export interface DiscordSignInPort {
  authorizeUrl(state: string, codeChallenge: string): string;
  exchange(code: string, codeVerifier: string): Promise<string>;
  identity(accessToken: string): Promise<DiscordIdentity>;
  guildIds(accessToken: string): Promise<string[]>;
}

export interface DashboardSignInOptions {
  repository: Repositories["dashboard"];
  /** Built on first use: the client id may have to be asked of Discord. */
  discord: () => Promise<DiscordSignInPort>;
  now?: () => number;
}

const token = () => randomBytes(32).toString("base64url");
export const hashOf = (value: string) => createHash("sha256").update(value).digest("base64url");

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class DashboardSignIn {
  readonly #now: () => number;

  constructor(private readonly options: DashboardSignInOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Starts a sign-in: where to send the browser, and the nonce its cookie must carry back. */
  async begin(): Promise<{ authorizeUrl: string; browserNonce: string }> {
    const discord = await this.options.discord();
    const state = token();
    const browserNonce = token();
    const pkceVerifier = token();
    const now = this.#now();
    await this.options.repository.deleteExpired(now);
    await this.options.repository.putSignIn({ stateHash: hashOf(state), browserBinding: hashOf(browserNonce), pkceVerifier, expiresAt: now + SIGN_IN_TTL_MS });
    return { authorizeUrl: discord.authorizeUrl(state, hashOf(pkceVerifier)), browserNonce };
  }

  /**
   * Discord's redirect back: spends the state whatever happens next, checks the browser, exchanges
   * the code and opens a session. Returns the session's cookie token.
   * @throws SignInError, DiscordOAuthError
   */
  async complete(query: { state?: string; code?: string; error?: string }, browserNonce: string | undefined): Promise<{ sessionToken: string; session: DashboardSession }> {
    const signIn = query.state ? await this.options.repository.takeSignIn(hashOf(query.state), this.#now()) : undefined;
    if (!signIn) throw new SignInError("state-unknown");
    if (!browserNonce || !sameText(hashOf(browserNonce), signIn.browserBinding)) throw new SignInError("other-browser");
    if (query.error) throw new SignInError("denied");
    if (!query.code) throw new SignInError("no-code");

    const discord = await this.options.discord();
    const accessToken = await discord.exchange(query.code, signIn.pkceVerifier);
    const [identity, guildIds] = await Promise.all([discord.identity(accessToken), discord.guildIds(accessToken)]);
    const sessionToken = token();
    const session = {
      idHash: hashOf(sessionToken),
      discordUserId: identity.id,
      username: identity.username,
      displayName: identity.displayName,
      guildIds,
      csrfToken: token(),
      expiresAt: this.#now() + SESSION_TTL_MS,
    };
    await this.options.repository.putSession(session);
    return { sessionToken, session: { ...session, createdAt: this.#now() } };
  }

  /** The live session behind a cookie token, or undefined. */
  async session(sessionToken: string | undefined): Promise<DashboardSession | undefined> {
    return sessionToken ? await this.options.repository.session(hashOf(sessionToken), this.#now()) : undefined;
  }

  /** Ends the session server-side: its cookie no longer signs anyone in, even if kept. */
  async end(sessionToken: string | undefined): Promise<void> {
    if (sessionToken) await this.options.repository.deleteSession(hashOf(sessionToken));
  }

  /** Whether a form's token is this session's. */
  static csrfMatches(session: DashboardSession, submitted: unknown): boolean {
    return typeof submitted === "string" && sameText(submitted, session.csrfToken);
  }
}
