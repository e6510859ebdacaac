// Message bodies (validation shared by channel messages, interaction responses and webhooks) and the
// channel/message REST routes, including DMs (docs: resources/message, resources/channel).
import { ChannelType, MessageFlags, PermissionFlagsBits, type APIMessage } from "discord-api-types/v10";
import { Errors, FieldMsg, FormErrors } from "./errors.ts";
import { hasPermission } from "./permissions.ts";
import type { RouteDef, RouteRequest, RouteResult } from "./router.ts";
import { compareSnowflakes } from "./snowflake.ts";
import type { ChannelRec, DiscordState } from "./state.ts";

export type MessageMode = "create" | "edit";

/** Flags a message body may set; anything else is dropped (Discord ignores unknown flags here). */
const SETTABLE_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.Ephemeral | MessageFlags.SuppressNotifications | MessageFlags.IsComponentsV2;

type Path = (string | number)[];

function checkLen(errors: FormErrors, path: Path, v: unknown, max: number, required = false): number {
  if (v === undefined || v === null) {
    if (required) errors.add(path, ...FieldMsg.required);
    return 0;
  }
  if (typeof v !== "string") {
    errors.add(path, ...FieldMsg.string);
    return 0;
  }
  if (required && v.length === 0) errors.add(path, ...FieldMsg.badLength(1, max));
  else if (v.length > max) errors.add(path, ...FieldMsg.maxLength(max));
  return v.length;
}

function checkEmbeds(errors: FormErrors, embeds: unknown): void {
  if (!Array.isArray(embeds)) {
    errors.add(["embeds"], ...FieldMsg.array);
    return;
  }
  if (embeds.length > 10) errors.add(["embeds"], ...FieldMsg.maxLength(10));
  let total = 0;
  embeds.forEach((e, i) => {
    const p = ["embeds", i];
    if (typeof e !== "object" || e === null) {
      errors.add(p, ...FieldMsg.object);
      return;
    }
    const embed = e as Record<string, any>;
    total += checkLen(errors, [...p, "title"], embed.title, 256);
    total += checkLen(errors, [...p, "description"], embed.description, 4096);
    total += checkLen(errors, [...p, "footer", "text"], embed.footer?.text, 2048);
    total += checkLen(errors, [...p, "author", "name"], embed.author?.name, 256);
    if (embed.fields !== undefined) {
      if (!Array.isArray(embed.fields)) errors.add([...p, "fields"], ...FieldMsg.array);
      else {
        if (embed.fields.length > 25) errors.add([...p, "fields"], ...FieldMsg.maxLength(25));
        embed.fields.forEach((f: any, j: number) => {
          total += checkLen(errors, [...p, "fields", j, "name"], f?.name, 256, true);
          total += checkLen(errors, [...p, "fields", j, "value"], f?.value, 1024, true);
        });
      }
    }
    if (total > 6000) errors.add(p, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000");
  });
}

function checkComponents(errors: FormErrors, components: unknown, v2: boolean): void {
  if (!Array.isArray(components)) {
    errors.add(["components"], ...FieldMsg.array);
    return;
  }
  const max = v2 ? 40 : 5;
  if (components.length > max) errors.add(["components"], ...FieldMsg.maxLength(max));
  components.forEach((c, i) => {
    const p = ["components", i];
    if (typeof c !== "object" || c === null) {
      errors.add(p, ...FieldMsg.object);
      return;
    }
    const row = c as Record<string, any>;
    if (row.type !== 1) return; // only action rows are checked in depth
    if (!Array.isArray(row.components)) {
      errors.add([...p, "components"], ...FieldMsg.array);
      return;
    }
    if (row.components.length < 1 || row.components.length > 5) errors.add([...p, "components"], ...FieldMsg.badLength(1, 5));
    row.components.forEach((child: any, j: number) => {
      const cp = [...p, "components", j];
      if (child?.type === 2) {
        const link = child.style === 5;
        if (!link && child.style !== 6) checkLen(errors, [...cp, "custom_id"], child.custom_id, 100, true);
        if (link) checkLen(errors, [...cp, "url"], child.url, 512, true);
        checkLen(errors, [...cp, "label"], child.label, 80);
      } else if ([3, 5, 6, 7, 8].includes(child?.type)) {
        checkLen(errors, [...cp, "custom_id"], child.custom_id, 100, true);
        if (child.type === 3) {
          if (!Array.isArray(child.options)) errors.add([...cp, "options"], ...FieldMsg.required);
          else if (child.options.length < 1 || child.options.length > 25) errors.add([...cp, "options"], ...FieldMsg.badLength(1, 25));
        }
      }
    });
  });
}

/** Embeds as Discord returns them: typed "rich", fields with `inline`, no null members. */
function normalizeEmbed(e: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { type: "rich" };
  for (const [k, v] of Object.entries((e ?? {}) as Record<string, unknown>)) if (v !== null && v !== undefined) out[k] = v;
  if (Array.isArray(out.fields)) out.fields = (out.fields as Record<string, unknown>[]).map((f) => ({ name: f.name, value: f.value, inline: f.inline === true }));
  return out;
}

/**
 * Validates a message body and returns the fields to store. "create" rejects an empty message with
 * 50006; "edit" only applies the fields present.
 */
export function parseMessageBody(body: unknown, mode: MessageMode, files: string[] = []): Partial<APIMessage> {
  const errors = new FormErrors();
  if (typeof (body ?? {}) !== "object" || Array.isArray(body)) {
    errors.add([], ...FieldMsg.object);
    errors.throwIfAny();
  }
  const b = (body ?? {}) as Record<string, any>;
  const out: Record<string, unknown> = {};
  if ("content" in b && b.content !== undefined) {
    if (b.content !== null) checkLen(errors, ["content"], b.content, 2000);
    out.content = b.content ?? "";
  }
  if (b.embeds !== undefined && b.embeds !== null) {
    checkEmbeds(errors, b.embeds);
    if (Array.isArray(b.embeds)) out.embeds = b.embeds.map(normalizeEmbed);
  } else if (b.embeds === null) out.embeds = [];
  let flags: number | undefined;
  if (b.flags !== undefined && b.flags !== null) {
    if (!Number.isInteger(b.flags)) errors.add(["flags"], ...FieldMsg.intType);
    else flags = b.flags & SETTABLE_FLAGS;
  }
  if (b.components !== undefined && b.components !== null) {
    checkComponents(errors, b.components, ((flags ?? 0) & MessageFlags.IsComponentsV2) !== 0);
    out.components = b.components;
  } else if (b.components === null) out.components = [];
  if (b.tts !== undefined && b.tts !== null) out.tts = b.tts === true;
  if (Array.isArray(b.attachments) || files.length > 0) {
    const described = Array.isArray(b.attachments) ? (b.attachments as Record<string, any>[]) : [];
    out.attachments = (described.length ? described : files.map((f, i) => ({ id: i, filename: f }))).map((a) => ({
      id: String(a.id),
      filename: String(a.filename ?? "file"),
      size: 0,
      url: `https://cdn.discordapp.com/attachments/0/0/${encodeURIComponent(String(a.filename ?? "file"))}`,
      proxy_url: `https://media.discordapp.net/attachments/0/0/${encodeURIComponent(String(a.filename ?? "file"))}`,
    }));
  }
  errors.throwIfAny();
  if (flags !== undefined) out.flags = flags;
  if (mode === "create") {
    const empty =
      !out.content && !(out.embeds as unknown[] | undefined)?.length && !(out.components as unknown[] | undefined)?.length &&
      !(out.attachments as unknown[] | undefined)?.length && !b.sticker_ids?.length && !b.poll;
    if (empty) throw Errors.emptyMessage();
  }
  return out as Partial<APIMessage>;
}

/** Would the message be empty after an edit? Discord refuses that too. */
export function isEmptyMessage(m: APIMessage): boolean {
  return !m.content && !m.embeds?.length && !m.components?.length && !m.attachments?.length;
}

export function messageRoutes(state: DiscordState): RouteDef[] {
  const bot = () => state.botUser.id;
  const channelOf = (req: RouteRequest): ChannelRec => {
    const ch = state.channels.get(req.params.channel_id!);
    if (!ch) throw Errors.unknownChannel();
    if (ch.guildId) {
      const g = state.guilds.get(ch.guildId)!;
      if (!hasPermission(g, bot(), PermissionFlagsBits.ViewChannel)) throw Errors.missingAccess();
    }
    return ch;
  };
  const routes: RouteDef[] = [];
  const r = (method: string, pattern: string, handler: (req: RouteRequest) => RouteResult) =>
    routes.push({ method, pattern, handler, auth: "bot", bucket: "default", global: true });

  r("GET", "/channels/:channel_id", (req) => ({ status: 200, body: state.channelJSON(channelOf(req)) }));

  r("GET", "/channels/:channel_id/messages", (req) => {
    const ch = channelOf(req);
    if (ch.guildId && !hasPermission(state.guilds.get(ch.guildId)!, bot(), PermissionFlagsBits.ReadMessageHistory)) {
      return { status: 200, body: [] };
    }
    const errors = new FormErrors();
    const rawLimit = req.query.get("limit");
    const limit = rawLimit === null ? 50 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) errors.add(["limit"], ...FieldMsg.numberMax(100));
    errors.throwIfAny();
    const before = req.query.get("before");
    const after = req.query.get("after");
    // Ephemeral interaction replies are only visible to their user, never in channel history.
    let list = [...ch.messages.values()].filter((m) => !((m.flags ?? 0) & MessageFlags.Ephemeral)).sort((a, b) => compareSnowflakes(b.id, a.id));
    if (before) list = list.filter((m) => compareSnowflakes(m.id, before) < 0);
    if (after) list = list.filter((m) => compareSnowflakes(m.id, after) > 0).reverse().slice(0, limit).reverse();
    return { status: 200, body: list.slice(0, limit) };
  });

  r("POST", "/channels/:channel_id/messages", (req) => {
    const ch = channelOf(req);
    if (ch.type === ChannelType.DM) {
      const recipient = state.users.get(ch.recipientId!);
      // Bots reach only users who share a guild with them and allow DMs from it.
      if (!recipient || recipient.dmsDisabled || !state.sharesGuildWithBot(recipient.id)) throw Errors.cannotDmUser();
    } else if (ch.guildId) {
      const g = state.guilds.get(ch.guildId)!;
      if (!hasPermission(g, bot(), PermissionFlagsBits.SendMessages)) throw Errors.missingPermissions();
    }
    const fields = parseMessageBody(req.body, "create", req.files);
    // Ephemeral only exists for interaction responses.
    if (fields.flags) fields.flags &= ~MessageFlags.Ephemeral;
    const message = state.newMessage(ch.id, fields);
    state.storeMessage(ch, message);
    return { status: 200, body: message };
  });

  return routes;
}
