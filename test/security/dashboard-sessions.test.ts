// Dashboard sign-ins and sessions over the real SQLite store: what is kept (hashes, not the cookie's
// token or the state), single-use states, and expiry of both. Discord's side is a stand-in port here;
// the whole flow against the emulator is test/http/dashboard-auth.test.ts.
import { describe, expect, test } from "bun:test";
import { createRepositories, openDatabase } from "../../src/db/index.ts";
import { dashboardSessions, dashboardSignIns } from "../../src/db/schema.ts";
import { DashboardSignIn, SESSION_TTL_MS, SIGN_IN_TTL_MS, SignInError, type DiscordSignInPort } from "../../src/http/dashboard/sign-in.ts";

function setUp() {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const database = openDatabase(":memory:");
  const repositories = createRepositories(database.db, { now });
  const exchanged: { code: string; verifier: string }[] = [];
  const discord: DiscordSignInPort = {
    authorizeUrl: (state, challenge) => `https://discord.test/oauth2/authorize?state=${state}&code_challenge=${challenge}`,
    exchange: async (code, verifier) => {
      exchanged.push({ code, verifier });
      return "access-token";
    },
    identity: async () => ({ id: "100000000000000002", username: "alice", displayName: "Alice" }),
    guildIds: async () => ["300000000000000001"],
  };
  const signIn = new DashboardSignIn({ repository: repositories.dashboard, discord: async () => discord, now });
  return { signIn, database, exchanged, advance: (ms: number) => (clock += ms) };
}

const stateOf = (url: string) => new URL(url).searchParams.get("state")!;

describe("dashboard sign-ins and sessions", () => {
  test("the database holds hashes: neither the state nor the session's cookie token is stored", async () => {
    const { signIn, database } = setUp();
    const { authorizeUrl, browserNonce } = await signIn.begin();
    const state = stateOf(authorizeUrl);
    const stored = database.db.select().from(dashboardSignIns).all();
    expect(JSON.stringify(stored)).not.toContain(state);
    expect(JSON.stringify(stored)).not.toContain(browserNonce);

    const { sessionToken } = await signIn.complete({ state, code: "the-code" }, browserNonce);
    const sessions = database.db.select().from(dashboardSessions).all();
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(sessionToken);
    expect((await signIn.session(sessionToken))?.discordUserId).toBe("100000000000000002");
  });

  test("PKCE: the challenge sent to Discord is the S256 of the verifier later exchanged with the code", async () => {
    const { signIn, exchanged } = setUp();
    const { authorizeUrl, browserNonce } = await signIn.begin();
    await signIn.complete({ state: stateOf(authorizeUrl), code: "c" }, browserNonce);
    const challenge = new URL(authorizeUrl).searchParams.get("code_challenge");
    const expected = new Bun.CryptoHasher("sha256").update(exchanged[0]!.verifier).digest("base64url");
    expect(challenge).toBe(expected);
  });

  test("a state is spent by its first callback, and lapses after ten minutes", async () => {
    const { signIn, advance } = setUp();
    const first = await signIn.begin();
    await signIn.complete({ state: stateOf(first.authorizeUrl), code: "c" }, first.browserNonce);
    await expect(signIn.complete({ state: stateOf(first.authorizeUrl), code: "c" }, first.browserNonce)).rejects.toEqual(new SignInError("state-unknown"));

    const second = await signIn.begin();
    advance(SIGN_IN_TTL_MS);
    await expect(signIn.complete({ state: stateOf(second.authorizeUrl), code: "c" }, second.browserNonce)).rejects.toEqual(new SignInError("state-unknown"));
  });

  test("sessions expire server-side, and ending one makes its token worthless", async () => {
    const { signIn, advance } = setUp();
    const begun = await signIn.begin();
    const { sessionToken } = await signIn.complete({ state: stateOf(begun.authorizeUrl), code: "c" }, begun.browserNonce);
    advance(SESSION_TTL_MS - 1);
    expect(await signIn.session(sessionToken)).toBeDefined();
    advance(1);
    expect(await signIn.session(sessionToken)).toBeUndefined();

    const again = await signIn.begin();
    const other = await signIn.complete({ state: stateOf(again.authorizeUrl), code: "c" }, again.browserNonce);
    await signIn.end(other.sessionToken);
    expect(await signIn.session(other.sessionToken)).toBeUndefined();
  });

  test("a form's CSRF token must be the session's own", async () => {
    const { signIn } = setUp();
    const begun = await signIn.begin();
    const { session } = await signIn.complete({ state: stateOf(begun.authorizeUrl), code: "c" }, begun.browserNonce);
    expect(DashboardSignIn.csrfMatches(session, session.csrfToken)).toBe(true);
    expect(DashboardSignIn.csrfMatches(session, `${session.csrfToken}x`)).toBe(false);
    expect(DashboardSignIn.csrfMatches(session, undefined)).toBe(false);
  });
});
