/**
 * Discord's OAuth2 authorization-code grant for the web dashboard (design §9; docs: topics/oauth2):
 * the authorize URL the browser is sent to, the code exchange (client secret by HTTP Basic, PKCE
 * verifier), and the two reads the signed-in person's token allows (`identify`, `guilds`). The
 * access token is used for those reads and dropped: the dashboard keeps no Discord credential of
 * the person's.
 */
import { z } from "zod";

export const DASHBOARD_SCOPES = ["identify", "guilds"] as const;

/** Why a sign-in could not be completed with Discord. */
export type DiscordOAuthFailure =
  /** Discord refused the code (spent, expired, wrong verifier or redirect): the person starts again. */
  | "rejected"
  /** Discord refused the client id or secret: the operator's configuration is wrong. */
  | "client-rejected"
  /** Discord did not answer usably (down, rate limited, malformed). */
  | "unavailable";

export class DiscordOAuthError extends Error {
  override readonly name = "DiscordOAuthError";
  constructor(
    readonly reason: DiscordOAuthFailure,
    /** For logs: what Discord said (its RFC 6749 error code), never a credential. */
    detail: string,
  ) {
    super(`Discord OAuth2: ${reason} (${detail})`);
  }
}

export interface DiscordOAuthClientOptions {
  clientId: string;
  clientSecret: string;
  /** `DISCORD_WEB_URL`: where browsers authorize. */
  webUrl: string;
  /** `DISCORD_API_URL`: REST base without version. */
  apiUrl: string;
  redirectUri: string;
  fetch?: typeof fetch;
}

export interface DiscordIdentity {
  id: string;
  username: string;
  displayName: string | null;
}

const tokenAnswer = z.object({ access_token: z.string().min(1), token_type: z.string(), scope: z.string().optional() });
const errorAnswer = z.object({ error: z.string() });
const userAnswer = z.object({ id: z.string().regex(/^\d{17,20}$/), username: z.string(), global_name: z.string().nullish() });
const guildsAnswer = z.array(z.object({ id: z.string().regex(/^\d{17,20}$/) }));

/** Discord lists at most 200 guilds a page. */
const GUILDS_PAGE = 200;
/** A person is in at most a few hundred guilds; the pages stop well before this. */
const MAX_GUILD_PAGES = 10;

export class DiscordOAuthClient {
  readonly #fetch: typeof fetch;

  constructor(private readonly options: DiscordOAuthClientOptions) {
    this.#fetch = options.fetch ?? fetch;
  }

  authorizeUrl(state: string, codeChallenge: string): string {
    const url = new URL(`${this.options.webUrl}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: this.options.clientId,
      scope: DASHBOARD_SCOPES.join(" "),
      state,
      redirect_uri: this.options.redirectUri,
      code_challenge: codeChallenge,
      code_challenge_method: "S256",
    }).toString();
    return url.toString();
  }

  /** Exchanges the code for an access token. @throws DiscordOAuthError */
  async exchange(code: string, codeVerifier: string): Promise<string> {
    const credentials = Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString("base64");
    const response = await this.#send(`${this.options.apiUrl}/v10/oauth2/token`, {
      method: "POST",
      headers: { authorization: `Basic ${credentials}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: this.options.redirectUri, code_verifier: codeVerifier }),
    });
    const body = await response.json().catch(() => undefined);
    if (response.ok) {
      const token = tokenAnswer.safeParse(body);
      if (!token.success || token.data.token_type.toLowerCase() !== "bearer") throw new DiscordOAuthError("unavailable", "malformed token answer");
      return token.data.access_token;
    }
    const error = errorAnswer.safeParse(body);
    const code_ = error.success ? error.data.error : `HTTP ${response.status}`;
    if (code_ === "invalid_client" || code_ === "unauthorized_client") throw new DiscordOAuthError("client-rejected", code_);
    if (response.status === 400) throw new DiscordOAuthError("rejected", code_);
    throw new DiscordOAuthError("unavailable", code_);
  }

  /** Who signed in (scope identify). @throws DiscordOAuthError */
  async identity(accessToken: string): Promise<DiscordIdentity> {
    const user = userAnswer.safeParse(await this.#read("/users/@me", accessToken));
    if (!user.success) throw new DiscordOAuthError("unavailable", "malformed /users/@me answer");
    return { id: user.data.id, username: user.data.username, displayName: user.data.global_name ?? null };
  }

  /** The ids of every guild the person is in (scope guilds), page by page. @throws DiscordOAuthError */
  async guildIds(accessToken: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_GUILD_PAGES; page++) {
      const query = new URLSearchParams({ limit: String(GUILDS_PAGE), ...(after ? { after } : {}) });
      const guilds = guildsAnswer.safeParse(await this.#read(`/users/@me/guilds?${query}`, accessToken));
      if (!guilds.success) throw new DiscordOAuthError("unavailable", "malformed /users/@me/guilds answer");
      ids.push(...guilds.data.map((guild) => guild.id));
      if (guilds.data.length < GUILDS_PAGE) break;
      after = guilds.data.at(-1)!.id;
    }
    return ids;
  }

  async #read(path: string, accessToken: string): Promise<unknown> {
    const response = await this.#send(`${this.options.apiUrl}/v10${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (!response.ok) throw new DiscordOAuthError(response.status === 401 ? "rejected" : "unavailable", `HTTP ${response.status} from ${path.split("?")[0]}`);
    return response.json().catch(() => undefined);
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new DiscordOAuthError("unavailable", error instanceof Error ? error.name : "network error");
    }
  }
}

/**
 * The client, built on first use: without DISCORD_CLIENT_ID the client id is the bot's application
 * id, asked of Discord once (`GET /oauth2/applications/@me`); a failed ask is tried again next time.
 */
export function lazyOAuthClient(
  options: Omit<DiscordOAuthClientOptions, "clientId"> & { clientId: string | undefined },
  applicationId: () => Promise<string>,
): () => Promise<DiscordOAuthClient> {
  let client: Promise<DiscordOAuthClient> | undefined;
  return () => {
    client ??= (async () => new DiscordOAuthClient({ ...options, clientId: options.clientId ?? (await applicationId()) }))();
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
}
