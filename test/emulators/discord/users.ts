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

export function userRoutes(state: DiscordState, privileged: () => PrivilegedIntents): RouteDef[] {
  const routes: RouteDef[] = [];
  const r = (method: string, pattern: string, handler: (req: RouteRequest) => RouteResult) =>
    routes.push({ method, pattern, handler, auth: "bot", bucket: "default", global: true });

  r("GET", "/users/@me", () => ({
    status: 200,
    body: { ...state.userJSON(state.botUser), mfa_enabled: false, locale: "en-US", verified: true, email: null },
  }));

  r("GET", "/users/@me/guilds", (req) => {
    const limit = Math.min(Math.max(Number(req.query.get("limit") ?? 200) || 200, 1), 200);
    const after = req.query.get("after");
    const out = [];
    for (const g of state.guilds.values()) {
      if (after && BigInt(g.id) <= BigInt(after)) continue;
      out.push({
        id: g.id,
        name: g.name,
        icon: null,
        banner: null,
        owner: g.ownerId === state.botUser.id,
        permissions: basePermissions(g, state.botUser.id).toString(),
        features: [],
        ...(req.query.get("with_counts") === "true" ? { approximate_member_count: g.members.size, approximate_presence_count: 0 } : {}),
      });
    }
    out.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return { status: 200, body: out.slice(0, limit) };
  });

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

  r("GET", "/applications/@me", () => {
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
        redirect_uris: [],
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
  });

  return routes;
}
