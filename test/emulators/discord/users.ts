// Users, the current application, and DM channel creation (docs: resources/user, resources/application).
import { ApplicationFlags } from "discord-api-types/v10";
import { Errors, FieldMsg, FormErrors } from "./errors.ts";
import { basePermissions } from "./permissions.ts";
import type { RouteDef, RouteRequest, RouteResult } from "./router.ts";
import { isSnowflake } from "./snowflake.ts";
import type { DiscordState } from "./state.ts";

export interface PrivilegedIntents {
  guildMembers: boolean;
  guildPresences: boolean;
  messageContent: boolean;
}

/** Application flags an unverified app (< 100 guilds) has for the privileged intents enabled in the portal. */
export function applicationFlags(p: PrivilegedIntents): number {
  return (
    (p.guildMembers ? ApplicationFlags.GatewayGuildMembersLimited : 0) |
    (p.guildPresences ? ApplicationFlags.GatewayPresenceLimited : 0) |
    (p.messageContent ? ApplicationFlags.GatewayMessageContentLimited : 0)
  );
}

export function userRoutes(state: DiscordState, privileged: () => PrivilegedIntents, redirectUris: () => string[] = () => []): RouteDef[] {
  const routes: RouteDef[] = [];
  const r = (method: string, pattern: string, handler: (req: RouteRequest) => RouteResult, auth: RouteDef["auth"] = "bot") =>
    routes.push({ method, pattern, handler, auth, bucket: "default", global: true });

  /** The user the token speaks for: the bot, or the user who granted a bearer token the scope. */
  const callerFor = (req: RouteRequest, scope: string) => {
    if (req.caller?.kind !== "bearer") return { user: state.botUser, scopes: [] as readonly string[] };
    // A bearer token without the route's scope is refused as Discord does, 401 with code 0.
    if (!req.caller.scopes.includes(scope)) throw Errors.unauthorized();
    return { user: state.user(req.caller.userId), scopes: req.caller.scopes };
  };

  r(
    "GET",
    "/users/@me",
    (req) => {
      const { user, scopes } = callerFor(req, "identify");
      // `email` and `verified` need the email scope (docs: resources/user, user object).
      const email = !scopes.includes("email") ? {} : { verified: true, email: `${user.username}@users.invalid` };
      return { status: 200, body: { ...state.userJSON(user), mfa_enabled: false, locale: "en-US", ...(user.bot ? { verified: true, email: null } : email) } };
    },
    "bot-or-bearer",
  );

  r(
    "GET",
    "/users/@me/guilds",
    (req) => {
    const { user } = callerFor(req, "guilds");
    const limit = Math.min(Math.max(Number(req.query.get("limit") ?? 200) || 200, 1), 200);
    const after = req.query.get("after");
    const out = [];
    for (const g of state.guilds.values()) {
      if (after && BigInt(g.id) <= BigInt(after)) continue;
      if (!g.members.has(user.id)) continue;
      out.push({
        id: g.id,
        name: g.name,
        icon: null,
        banner: null,
        owner: g.ownerId === user.id,
        permissions: basePermissions(g, user.id).toString(),
        features: [],
        ...(req.query.get("with_counts") === "true" ? { approximate_member_count: g.members.size, approximate_presence_count: 0 } : {}),
      });
    }
    out.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return { status: 200, body: out.slice(0, limit) };
    },
    "bot-or-bearer",
  );

  r("GET", "/users/:user_id", (req) => {
    const u = state.users.get(req.params.user_id!);
    if (!u) throw Errors.unknownUser();
    return { status: 200, body: state.userJSON(u) };
  });

  r("POST", "/users/@me/channels", (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const errors = new FormErrors();
    if (!isSnowflake(b.recipient_id)) errors.add(["recipient_id"], ...(b.recipient_id === undefined ? FieldMsg.required : FieldMsg.snowflake));
    errors.throwIfAny();
    const user = state.users.get(b.recipient_id as string);
    if (!user) throw Errors.unknownUser();
    // Opening the channel always works; whether a message can be delivered is decided on send.
    return { status: 200, body: state.channelJSON(state.dmChannelFor(user.id)) };
  });

  const application = () => {
    const bot = state.userJSON(state.botUser);
    const flags = applicationFlags(privileged());
    return {
      status: 200,
      body: {
        id: state.applicationId,
        name: state.botUser.username,
        icon: null,
        description: "",
        summary: "",
        type: null,
        bot,
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: "0".repeat(64),
        flags,
        flags_new: String(flags),
        redirect_uris: redirectUris(),
        interactions_endpoint_url: null,
        role_connections_verification_url: null,
        owner: state.userJSON(state.appOwner),
        approximate_guild_count: state.guilds.size,
        approximate_user_install_count: 0,
        approximate_user_authorization_count: 0,
        explicit_content_filter: 0,
        team: null,
        eligible_oauth2_scopes: [],
        install_params: { scopes: ["bot", "applications.commands"], permissions: "268435456" },
        integration_types_config: { "0": { oauth2_install_params: { scopes: ["bot", "applications.commands"], permissions: "268435456" } } },
      },
    };
  };
  r("GET", "/applications/@me", application);
  // "Get Current Bot Application Information" (docs: topics/oauth2): the same application object.
  r("GET", "/oauth2/applications/@me", application);

  return routes;
}
