// Interactions: building realistic INTERACTION_CREATE payloads, the callback endpoint (3 s window,
// single acknowledgement) and the interaction webhooks (@original and follow-ups, 15 min token)
// (docs: interactions/receiving-and-responding).
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ComponentType,
  GatewayDispatchEvents,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  type APIApplicationCommandInteractionDataOption,
  type APIMessage,
} from "discord-api-types/v10";
import type { CommandStore } from "./commands.ts";
import { Errors, FieldMsg, FormErrors } from "./errors.ts";
import { isEmptyMessage, parseMessageBody } from "./messages.ts";
import { basePermissions } from "./permissions.ts";
import type { RouteDef, RouteRequest, RouteResult } from "./router.ts";
import { roleJSON, type ChannelRec, type DiscordState, type GuildRec } from "./state.ts";
import type { CallbackRecord, InjectInteractionInput, InjectedInteraction } from "./types.ts";

interface Waiter<T> {
  test: (v: T) => boolean;
  resolve: (v: T) => void;
}

interface InteractionRec {
  id: string;
  token: string;
  type: InteractionType;
  guildId: string;
  channelId: string;
  userId: string;
  createdAt: number;
  payload: any;
  ackedType?: InteractionResponseType;
  /** True once the 3 s window passed without an acknowledgement: the token is dead. */
  expired: boolean;
  originalId?: string;
  /** Deferred (type 5) and not edited yet. */
  originalLoading: boolean;
  /** The message a component/modal interaction came from. */
  sourceMessageId?: string;
  messageIds: string[];
  callbacks: CallbackRecord[];
  callbackWaiters: Waiter<CallbackRecord>[];
  messageWaiters: Waiter<APIMessage>[];
}

/** Callback types Discord accepts per interaction type. */
const ALLOWED_CALLBACKS: Record<number, number[]> = {
  [InteractionType.Ping]: [1],
  [InteractionType.ApplicationCommand]: [4, 5, 9],
  [InteractionType.MessageComponent]: [4, 5, 6, 7, 9],
  [InteractionType.ApplicationCommandAutocomplete]: [8],
  [InteractionType.ModalSubmit]: [4, 5, 6, 7],
};

export interface InteractionOptions {
  ackWindowMs: number;
  tokenTtlMs: number;
}

/** Sends a dispatch to the sessions owning `guildId`; returns how many connected sessions got it. */
export type Dispatcher = (guildId: string | null, t: GatewayDispatchEvents, d: unknown, intent: number) => number;

export class InteractionStore {
  private readonly byId = new Map<string, InteractionRec>();
  private readonly byToken = new Map<string, InteractionRec>();

  constructor(
    private readonly state: DiscordState,
    private readonly commands: CommandStore,
    private readonly opts: InteractionOptions,
    private readonly dispatch: Dispatcher,
  ) {}

  setWindows(ackWindowMs: number, tokenTtlMs: number): void {
    this.opts.ackWindowMs = ackWindowMs;
    this.opts.tokenTtlMs = tokenTtlMs;
  }

  // ---- injection ---------------------------------------------------------------------------------

  inject(input: InjectInteractionInput): InjectedInteraction {
    const state = this.state;
    const guild = state.guilds.get(input.guildId);
    if (!guild) throw new Error(`injectInteraction: unknown guild ${input.guildId}`);
    const member = guild.members.get(input.userId);
    if (!member) throw new Error(`injectInteraction: ${input.userId} is not a member of ${guild.id}`);
    const channelId = input.channelId ?? guild.systemChannelId;
    const channel = state.channels.get(channelId);
    if (!channel || channel.guildId !== guild.id) throw new Error(`injectInteraction: unknown channel ${channelId} in ${guild.id}`);

    const type = input.type ?? InteractionType.ApplicationCommand;
    const id = state.ids.next();
    // Real tokens are base64 of "interaction:<id>:<secret>", around 200 characters.
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(96))).toString("base64url");
    const token = Buffer.from(`interaction:${id}:${secret}`).toString("base64url");
    const memberPermissions =
      input.memberPermissions !== undefined ? BigInt(input.memberPermissions) : basePermissions(guild, input.userId);
    const locale = input.locale ?? "en-US";

    const payload: Record<string, unknown> = {
      id,
      application_id: state.applicationId,
      type,
      token,
      version: 1,
      guild_id: guild.id,
      guild: { id: guild.id, locale: "en-US", features: [] },
      channel_id: channel.id,
      channel: { ...state.channelJSON(channel), permissions: memberPermissions.toString() },
      member: { ...state.memberJSON(member), permissions: memberPermissions.toString(), unusual_dm_activity_until: null },
      app_permissions: basePermissions(guild, state.botUser.id).toString(),
      locale,
      guild_locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": guild.id },
      context: 0,
      attachment_size_limit: 10_485_760,
    };

    let sourceMessageId: string | undefined;
    if (type === InteractionType.ApplicationCommand || type === InteractionType.ApplicationCommandAutocomplete) {
      const commandType = input.commandType ?? ApplicationCommandType.ChatInput;
      const name = input.commandName ?? "unknown";
      const registered = this.commands.find(guild.id, name, commandType);
      const resolved = mergeResolved(this.resolveOptions(guild, channel, input.options ?? [], input.targetId), input.resolved);
      payload.data = {
        id: registered?.id ?? state.ids.next(),
        name,
        type: commandType,
        ...(input.options ? { options: input.options } : {}),
        ...(resolved ? { resolved } : {}),
        ...(registered?.guild_id ? { guild_id: registered.guild_id } : {}),
        ...(input.targetId ? { target_id: input.targetId } : {}),
      };
    } else if (type === InteractionType.MessageComponent || type === InteractionType.ModalSubmit) {
      const source = this.sourceMessage(channel, input, type === InteractionType.MessageComponent);
      if (source) {
        sourceMessageId = source.id;
        payload.message = source;
      }
      payload.data =
        type === InteractionType.MessageComponent
          ? {
              custom_id: input.customId ?? "button",
              component_type: input.componentType ?? ComponentType.Button,
              ...(input.values ? { values: input.values } : {}),
              ...(input.resolved ? { resolved: input.resolved } : {}),
            }
          : { custom_id: input.customId ?? "modal", components: input.components ?? [] };
    }

    const rec: InteractionRec = {
      id,
      token,
      type,
      guildId: guild.id,
      channelId: channel.id,
      userId: input.userId,
      createdAt: Date.now(),
      payload,
      expired: false,
      originalLoading: false,
      sourceMessageId,
      messageIds: [],
      callbacks: [],
      callbackWaiters: [],
      messageWaiters: [],
    };
    this.byId.set(id, rec);
    this.byToken.set(token, rec);
    const delivered = this.dispatch(guild.id, GatewayDispatchEvents.InteractionCreate, payload, 0) > 0;
    return this.handle(rec, delivered);
  }

  private handle(rec: InteractionRec, delivered: boolean): InjectedInteraction {
    const self = this;
    return {
      id: rec.id,
      token: rec.token,
      delivered,
      payload: rec.payload,
      callbacks: rec.callbacks,
      get messages() {
        return self.messagesOf(rec);
      },
      waitForCallback(timeoutMs = 5000) {
        if (rec.callbacks[0]) return Promise.resolve(rec.callbacks[0]);
        return waitFor(rec.callbackWaiters, () => true, timeoutMs, `no callback for interaction ${rec.id}`);
      },
      waitForMessage(predicate, timeoutMs = 5000) {
        const found = self.messagesOf(rec).find(predicate);
        if (found) return Promise.resolve(found);
        return waitFor(rec.messageWaiters, predicate, timeoutMs, `no matching message for interaction ${rec.id}`);
      },
    };
  }

  private messagesOf(rec: InteractionRec): APIMessage[] {
    const ch = this.state.channels.get(rec.channelId)!;
    return rec.messageIds.map((id) => ch.messages.get(id)).filter((m): m is APIMessage => m !== undefined);
  }

  private sourceMessage(channel: ChannelRec, input: InjectInteractionInput, fabricate: boolean): APIMessage | undefined {
    if (typeof input.message === "object") {
      if (!channel.messages.has(input.message.id)) channel.messages.set(input.message.id, input.message);
      return input.message;
    }
    if (typeof input.message === "string") {
      for (const ch of [channel, ...this.state.channels.values()]) {
        const m = ch.messages.get(input.message);
        if (m) return m;
      }
      throw new Error(`injectInteraction: unknown message ${input.message}`);
    }
    if (!fabricate) return undefined;
    // A bot message carrying the clicked component, as if posted earlier.
    const message = this.state.newMessage(channel.id, {
      content: "",
      components: [
        { type: 1, components: [{ type: ComponentType.Button, style: 1, label: "OK", custom_id: input.customId ?? "button" }] },
      ] as APIMessage["components"],
    });
    channel.messages.set(message.id, message);
    return message;
  }

  /** resolved.{users,members,roles,channels} for USER/ROLE/CHANNEL/MENTIONABLE option values, as Discord fills them. */
  private resolveOptions(guild: GuildRec, channel: ChannelRec, options: APIApplicationCommandInteractionDataOption[], targetId?: string) {
    const state = this.state;
    const resolved: Record<string, Record<string, unknown>> = {};
    const put = (kind: string, id: string, v: unknown) => {
      resolved[kind] ??= {};
      resolved[kind][id] = v;
    };
    const addUser = (id: string) => {
      const u = state.users.get(id);
      if (!u) return false;
      put("users", id, state.userJSON(u));
      const m = guild.members.get(id);
      if (m) {
        const { user: _user, mute: _mute, deaf: _deaf, ...partial } = state.memberJSON(m) as unknown as Record<string, unknown>;
        put("members", id, { ...partial, permissions: basePermissions(guild, id).toString() });
      }
      return true;
    };
    const walk = (opts: APIApplicationCommandInteractionDataOption[]) => {
      for (const o of opts) {
        const v = (o as { value?: unknown }).value;
        if ("options" in o && Array.isArray(o.options)) walk(o.options as APIApplicationCommandInteractionDataOption[]);
        if (typeof v !== "string") continue;
        if (o.type === ApplicationCommandOptionType.User) addUser(v);
        else if (o.type === ApplicationCommandOptionType.Role && guild.roles.has(v)) put("roles", v, roleJSON(guild.roles.get(v)!));
        else if (o.type === ApplicationCommandOptionType.Mentionable) {
          if (!addUser(v) && guild.roles.has(v)) put("roles", v, roleJSON(guild.roles.get(v)!));
        } else if (o.type === ApplicationCommandOptionType.Channel) {
          // The channel picker offers the guild's own channels only: another guild's id resolves to nothing.
          const ch = state.channels.get(v);
          if (ch && ch.guildId === guild.id) put("channels", v, { ...state.channelJSON(ch), permissions: basePermissions(guild, state.botUser.id).toString() });
        }
      }
    };
    walk(options);
    if (targetId) addUser(targetId) || (channel.messages.has(targetId) && put("messages", targetId, channel.messages.get(targetId)));
    return Object.keys(resolved).length ? resolved : undefined;
  }

  // ---- message helpers ---------------------------------------------------------------------------

  private messageType(rec: InteractionRec): MessageType {
    if (rec.type === InteractionType.ApplicationCommand) {
      const t = (rec.payload.data as { type?: number } | undefined)?.type;
      return t === ApplicationCommandType.ChatInput ? MessageType.ChatInputCommand : MessageType.ContextMenuCommand;
    }
    return MessageType.Reply;
  }

  private newInteractionMessage(rec: InteractionRec, fields: Partial<APIMessage>): APIMessage {
    const user = this.state.userJSON(this.state.user(rec.userId));
    const data = rec.payload.data as { name?: string; type?: number } | undefined;
    return this.state.newMessage(rec.channelId, {
      type: this.messageType(rec),
      webhook_id: this.state.applicationId,
      application_id: this.state.applicationId,
      interaction_metadata: {
        id: rec.id,
        type: rec.type,
        user,
        authorizing_integration_owners: { "0": rec.guildId },
        ...(rec.type === InteractionType.ApplicationCommand ? { name: data?.name, command_type: data?.type } : {}),
      },
      ...(rec.type === InteractionType.ApplicationCommand ? { interaction: { id: rec.id, type: rec.type, name: data?.name ?? "", user } } : {}),
      ...fields,
    } as Partial<APIMessage>);
  }

  private channelOf(rec: InteractionRec): ChannelRec {
    return this.state.channels.get(rec.channelId)!;
  }

  private notifyMessage(rec: InteractionRec, m: APIMessage): void {
    rec.messageWaiters = rec.messageWaiters.filter((w) => {
      if (!w.test(m)) return true;
      w.resolve(m);
      return false;
    });
  }

  private createMessage(rec: InteractionRec, fields: Partial<APIMessage>): APIMessage {
    const m = this.newInteractionMessage(rec, fields);
    this.state.storeMessage(this.channelOf(rec), m);
    rec.messageIds.push(m.id);
    this.notifyMessage(rec, m);
    return m;
  }

  /** Applies an edit; ephemeral and loading are not changeable by the body. */
  private editMessage(rec: InteractionRec, id: string, fields: Partial<APIMessage>): APIMessage {
    const ch = this.channelOf(rec);
    const old = ch.messages.get(id);
    if (!old) throw Errors.unknownMessage();
    const wasLoading = ((old.flags ?? 0) & MessageFlags.Loading) !== 0;
    const keep = (old.flags ?? 0) & MessageFlags.Ephemeral;
    const flags = fields.flags !== undefined ? (fields.flags & ~MessageFlags.Ephemeral) | keep : (old.flags ?? 0) & ~MessageFlags.Loading;
    const next = { ...old, ...fields, flags: flags & ~MessageFlags.Loading, edited_timestamp: wasLoading ? null : new Date().toISOString() } as APIMessage;
    if (isEmptyMessage(next)) throw Errors.emptyMessage();
    ch.messages.set(id, next);
    if (id === rec.originalId) rec.originalLoading = false;
    this.notifyMessage(rec, next);
    return next;
  }

  // ---- routes ------------------------------------------------------------------------------------

  routes(): RouteDef[] {
    const routes: RouteDef[] = [];
    routes.push({
      method: "POST",
      pattern: "/interactions/:interaction_id/:interaction_token/callback",
      auth: "none",
      bucket: "none",
      global: false,
      handler: (req) => this.callback(req),
    });
    const base = "/webhooks/:webhook_id/:webhook_token";
    const w = (method: string, pattern: string, handler: (rec: InteractionRec, req: RouteRequest) => RouteResult) =>
      routes.push({ method, pattern, auth: "none", bucket: "default", global: false, handler: (req) => handler(this.webhookRec(req), req) });

    w("POST", base, (rec, req) => {
      if (rec.ackedType === undefined) throw Errors.unknownWebhook();
      // Docs: the first follow-up after a deferred reply edits the loading message instead.
      if (rec.originalLoading && rec.originalId) {
        const fields = parseMessageBody(req.body, "create", req.files);
        delete fields.flags;
        return { status: 200, body: this.editMessage(rec, rec.originalId, fields) };
      }
      return { status: 200, body: this.createMessage(rec, parseMessageBody(req.body, "create", req.files)) };
    });
    const original = (rec: InteractionRec) => {
      if (!rec.originalId || !this.channelOf(rec).messages.has(rec.originalId)) throw Errors.unknownMessage();
      return rec.originalId;
    };
    const owned = (rec: InteractionRec, id: string) => {
      if (!rec.messageIds.includes(id) && id !== rec.originalId) throw Errors.unknownMessage();
      return id;
    };
    for (const [suffix, pick] of [
      ["/messages/@original", (rec: InteractionRec) => original(rec)],
      ["/messages/:message_id", (rec: InteractionRec, req: RouteRequest) => owned(rec, req.params.message_id!)],
    ] as const) {
      w("GET", base + suffix, (rec, req) => {
        const m = this.channelOf(rec).messages.get(pick(rec, req));
        if (!m) throw Errors.unknownMessage();
        return { status: 200, body: m };
      });
      w("PATCH", base + suffix, (rec, req) => {
        const id = pick(rec, req);
        return { status: 200, body: this.editMessage(rec, id, parseMessageBody(req.body, "edit", req.files)) };
      });
      w("DELETE", base + suffix, (rec, req) => {
        const id = pick(rec, req);
        if (!this.channelOf(rec).messages.delete(id)) throw Errors.unknownMessage();
        if (id === rec.originalId) rec.originalLoading = false;
        return { status: 204 };
      });
    }
    return routes;
  }

  private webhookRec(req: RouteRequest): InteractionRec {
    if (req.params.webhook_id !== this.state.applicationId) throw Errors.unknownWebhook();
    const rec = this.byToken.get(req.params.webhook_token!);
    if (!rec) throw Errors.invalidWebhookToken();
    const age = Date.now() - rec.createdAt;
    if (age > this.opts.tokenTtlMs) throw Errors.invalidWebhookToken();
    if (rec.ackedType === undefined && age > this.opts.ackWindowMs) rec.expired = true;
    if (rec.expired) throw Errors.invalidWebhookToken();
    return rec;
  }

  private callback(req: RouteRequest): RouteResult {
    const rec = this.byId.get(req.params.interaction_id!);
    if (!rec || rec.token !== req.params.interaction_token) throw Errors.unknownInteraction();
    const now = Date.now();
    const elapsed = now - rec.createdAt;
    if (elapsed > this.opts.tokenTtlMs) throw Errors.unknownInteraction();
    if (rec.ackedType !== undefined) throw Errors.alreadyAcknowledged();
    if (elapsed > this.opts.ackWindowMs) {
      rec.expired = true;
      throw Errors.unknownInteraction();
    }
    const body = req.body as { type?: unknown; data?: Record<string, unknown> } | undefined;
    const errors = new FormErrors();
    const allowed = ALLOWED_CALLBACKS[rec.type] ?? [];
    if (body === undefined || typeof body !== "object" || body === null) {
      errors.add(["type"], ...FieldMsg.required);
      errors.throwIfAny();
    }
    const type = body!.type;
    if (typeof type !== "number" || !allowed.includes(type)) {
      errors.add(["type"], ...(type === undefined ? FieldMsg.required : FieldMsg.choices(allowed)));
      errors.throwIfAny();
    }
    const data = body!.data ?? undefined;
    let resource: Record<string, unknown> | undefined;
    switch (type as InteractionResponseType) {
      case InteractionResponseType.ChannelMessageWithSource: {
        const fields = parseMessageBody(data, "create", req.files);
        const m = this.createMessage(rec, fields);
        rec.originalId = m.id;
        resource = { type, message: m };
        break;
      }
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const flags = typeof data?.flags === "number" ? data.flags & MessageFlags.Ephemeral : 0;
        const m = this.createMessage(rec, { content: "", flags: flags | MessageFlags.Loading });
        rec.originalId = m.id;
        rec.originalLoading = true;
        break;
      }
      case InteractionResponseType.DeferredMessageUpdate:
      case InteractionResponseType.UpdateMessage: {
        if (!rec.sourceMessageId) throw Errors.unknownMessage();
        rec.originalId = rec.sourceMessageId;
        if (!rec.messageIds.includes(rec.sourceMessageId)) rec.messageIds.unshift(rec.sourceMessageId);
        if (type === InteractionResponseType.UpdateMessage) {
          const m = this.editMessage(rec, rec.sourceMessageId, parseMessageBody(data, "edit", req.files));
          resource = { type, message: m };
        }
        break;
      }
      case InteractionResponseType.ApplicationCommandAutocompleteResult: {
        const choices = data?.choices;
        if (!Array.isArray(choices)) errors.add(["data", "choices"], ...FieldMsg.required);
        else if (choices.length > 25) errors.add(["data", "choices"], ...FieldMsg.maxLength(25));
        errors.throwIfAny();
        break;
      }
      case InteractionResponseType.Modal: {
        const d = (data ?? {}) as Record<string, unknown>;
        if (typeof d.custom_id !== "string" || d.custom_id.length < 1 || d.custom_id.length > 100) errors.add(["data", "custom_id"], ...FieldMsg.badLength(1, 100));
        if (typeof d.title !== "string" || d.title.length < 1 || d.title.length > 45) errors.add(["data", "title"], ...FieldMsg.badLength(1, 45));
        if (!Array.isArray(d.components) || d.components.length < 1 || d.components.length > 5) errors.add(["data", "components"], ...FieldMsg.badLength(1, 5));
        errors.throwIfAny();
        break;
      }
    }
    rec.ackedType = type as InteractionResponseType;
    const withResponse = req.query.get("with_response") === "true";
    const record: CallbackRecord = { type: type as InteractionResponseType, data, body, withResponse, at: now, elapsedMs: elapsed };
    rec.callbacks.push(record);
    for (const waiter of rec.callbackWaiters.splice(0)) waiter.resolve(record);
    if (!withResponse) return { status: 204 };
    const original = rec.originalId ? this.channelOf(rec).messages.get(rec.originalId) : undefined;
    return {
      status: 200,
      body: {
        interaction: {
          id: rec.id,
          type: rec.type,
          ...(original
            ? {
                response_message_id: original.id,
                response_message_loading: ((original.flags ?? 0) & MessageFlags.Loading) !== 0,
                response_message_ephemeral: ((original.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
              }
            : {}),
        },
        ...(resource ? { resource } : {}),
      },
    };
  }
}

function mergeResolved(auto: Record<string, Record<string, unknown>> | undefined, given: unknown): any {
  if (!given) return auto;
  const out: Record<string, Record<string, unknown>> = { ...(auto ?? {}) };
  for (const [k, v] of Object.entries(given as Record<string, Record<string, unknown>>)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}

function waitFor<T>(list: Waiter<T>[], test: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter<T> = {
      test,
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
    };
    const timer = setTimeout(() => {
      const i = list.indexOf(waiter);
      if (i >= 0) list.splice(i, 1);
      reject(new Error(`${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    list.push(waiter);
  });
}
