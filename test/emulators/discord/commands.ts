// Application commands: storage, Discord's validation of command bodies (docs:
// interactions/application-commands), and the global/guild command routes.
import { ApplicationCommandOptionType, ApplicationCommandType, type APIApplicationCommand } from "discord-api-types/v10";
import { Errors, FieldMsg, FormErrors, HttpError } from "./errors.ts";
import type { RouteDef, RouteRequest, RouteResult } from "./router.ts";
import type { DiscordState } from "./state.ts";

// Docs: CHAT_INPUT names match this and are lowercase where the letter has a lowercase form.
const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const COMMAND_TYPES = [1, 2, 3, 4];
const OPTION_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

type Path = (string | number)[];

export class CommandStore {
  readonly global = new Map<string, APIApplicationCommand>();
  readonly guild = new Map<string, Map<string, APIApplicationCommand>>();
  writes = 0;

  constructor(private readonly state: DiscordState) {}

  scope(guildId?: string): Map<string, APIApplicationCommand> {
    if (!guildId) return this.global;
    let m = this.guild.get(guildId);
    if (!m) {
      m = new Map();
      this.guild.set(guildId, m);
    }
    return m;
  }

  /** A registered command by name: guild commands shadow global ones, as clients show them. */
  find(guildId: string | undefined, name: string, type: number): APIApplicationCommand | undefined {
    const pick = (m?: Map<string, APIApplicationCommand>) => [...(m?.values() ?? [])].find((c) => c.name === name && c.type === type);
    return (guildId ? pick(this.guild.get(guildId)) : undefined) ?? pick(this.global);
  }

  /** Creates or updates (same name and type) a command; returns it and whether it was new. */
  upsert(guildId: string | undefined, data: NormalizedCommand): { command: APIApplicationCommand; created: boolean } {
    const scope = this.scope(guildId);
    const existing = [...scope.values()].find((c) => c.name === data.name && c.type === data.type);
    if (existing) {
      const updated = this.build(existing.id, guildId, data, existing);
      scope.set(existing.id, updated);
      return { command: updated, created: false };
    }
    const command = this.build(this.state.ids.next(), guildId, data);
    scope.set(command.id, command);
    return { command, created: true };
  }

  private build(id: string, guildId: string | undefined, data: NormalizedCommand, previous?: APIApplicationCommand): APIApplicationCommand {
    const body: Record<string, unknown> = {
      id,
      application_id: this.state.applicationId,
      version: previous?.version ?? this.state.ids.next(),
      default_member_permissions: data.default_member_permissions,
      type: data.type,
      name: data.name,
      ...(data.name_localizations ? { name_localizations: data.name_localizations } : {}),
      description: data.description,
      ...(data.description_localizations ? { description_localizations: data.description_localizations } : {}),
      ...(guildId ? { guild_id: guildId } : { dm_permission: data.dm_permission ?? true }),
      contexts: data.contexts ?? null,
      integration_types: data.integration_types ?? [0],
      ...(data.options?.length ? { options: data.options } : {}),
      nsfw: data.nsfw ?? false,
    };
    if (previous && JSON.stringify({ ...previous, version: "" }) !== JSON.stringify({ ...body, version: "" })) {
      // A changed definition gets a new version snowflake.
      body.version = this.state.ids.next();
    }
    return body as unknown as APIApplicationCommand;
  }
}

export interface NormalizedCommand {
  type: number;
  name: string;
  name_localizations?: Record<string, string> | null;
  description: string;
  description_localizations?: Record<string, string> | null;
  options?: Record<string, unknown>[];
  default_member_permissions: string | null;
  dm_permission?: boolean;
  contexts?: number[] | null;
  integration_types?: number[];
  nsfw?: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkName(errors: FormErrors, path: Path, name: unknown, chatInput: boolean): void {
  if (name === undefined || name === null) {
    errors.add([...path, "name"], ...FieldMsg.required);
    return;
  }
  if (typeof name !== "string") {
    errors.add([...path, "name"], ...FieldMsg.string);
    return;
  }
  const len = [...name].length;
  if (len < 1 || len > 32) {
    errors.add([...path, "name"], ...FieldMsg.badLength(1, 32));
    return;
  }
  if (chatInput && (!NAME_RE.test(name) || name !== name.toLowerCase())) {
    errors.add([...path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
  }
}

function checkDescription(errors: FormErrors, path: Path, d: unknown, required: boolean): void {
  if (d === undefined || d === null || d === "") {
    if (required) errors.add([...path, "description"], ...(d === "" ? FieldMsg.badLength(1, 100) : FieldMsg.required));
    return;
  }
  if (typeof d !== "string") {
    errors.add([...path, "description"], ...FieldMsg.string);
    return;
  }
  if (!required) {
    errors.add([...path, "description"], ...FieldMsg.maxLength(0));
    return;
  }
  if (d.length > 100) errors.add([...path, "description"], ...FieldMsg.badLength(1, 100));
}

function checkOptions(errors: FormErrors, path: Path, options: unknown, depth: number, parentType?: number): Record<string, unknown>[] | undefined {
  if (options === undefined || options === null) return undefined;
  if (!Array.isArray(options)) {
    errors.add([...path, "options"], ...FieldMsg.array);
    return undefined;
  }
  if (options.length > 25) errors.add([...path, "options"], ...FieldMsg.maxLength(25));
  const out: Record<string, unknown>[] = [];
  const names = new Set<string>();
  let seenOptional = false;
  options.forEach((opt, i) => {
    const p = [...path, "options", i];
    if (!isObject(opt)) {
      errors.add(p, ...FieldMsg.object);
      return;
    }
    const type = opt.type;
    if (typeof type !== "number" || !OPTION_TYPES.includes(type)) {
      errors.add([...p, "type"], ...FieldMsg.choices(OPTION_TYPES));
      return;
    }
    checkName(errors, p, opt.name, true);
    checkDescription(errors, p, opt.description, true);
    if (typeof opt.name === "string") {
      if (names.has(opt.name)) errors.add([...p, "name"], "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Option names must be unique");
      names.add(opt.name);
    }
    const isSub = type === ApplicationCommandOptionType.Subcommand || type === ApplicationCommandOptionType.SubcommandGroup;
    if (isSub && (depth >= 2 || (depth === 1 && (parentType !== ApplicationCommandOptionType.SubcommandGroup || type !== ApplicationCommandOptionType.Subcommand)))) {
      errors.add([...p, "type"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command and sub-command group option types are mutually exclusive to all other types");
    }
    if (!isSub && depth === 1 && parentType === ApplicationCommandOptionType.SubcommandGroup) {
      errors.add([...p, "type"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command groups may only contain sub-commands");
    }
    if (!isSub) {
      if (opt.required === true) {
        if (seenOptional) errors.add([...p, "required"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options");
      } else seenOptional = true;
    }
    if (opt.choices !== undefined && opt.choices !== null) {
      if (!Array.isArray(opt.choices)) errors.add([...p, "choices"], ...FieldMsg.array);
      else {
        if (opt.choices.length > 25) errors.add([...p, "choices"], ...FieldMsg.maxLength(25));
        if (opt.autocomplete === true && opt.choices.length > 0) {
          errors.add([...p, "autocomplete"], "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE", "Autocomplete cannot be set on options with choices");
        }
        opt.choices.forEach((c: unknown, j: number) => {
          const cp = [...p, "choices", j];
          if (!isObject(c)) {
            errors.add(cp, ...FieldMsg.object);
            return;
          }
          if (typeof c.name !== "string" || c.name.length < 1 || c.name.length > 100) errors.add([...cp, "name"], ...FieldMsg.badLength(1, 100));
          const v = c.value;
          const okValue =
            type === ApplicationCommandOptionType.String ? typeof v === "string" && v.length <= 100
            : type === ApplicationCommandOptionType.Integer ? Number.isInteger(v)
            : type === ApplicationCommandOptionType.Number ? typeof v === "number"
            : false;
          if (!okValue) errors.add([...cp, "value"], ...(type === ApplicationCommandOptionType.String ? FieldMsg.maxLength(100) : FieldMsg.intType));
        });
      }
    }
    for (const key of ["min_length", "max_length"] as const) {
      const v = opt[key];
      if (v !== undefined && v !== null && (!Number.isInteger(v) || (v as number) < (key === "min_length" ? 0 : 1) || (v as number) > 6000)) {
        errors.add([...p, key], ...FieldMsg.numberMax(6000));
      }
    }
    const nested = isSub ? checkOptions(errors, p, opt.options, depth + 1, type) : undefined;
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(opt)) if (v !== null && v !== undefined && k !== "options") clean[k] = v;
    if (nested?.length) clean.options = nested;
    out.push(clean);
  });
  return out;
}

/** Validates one command body, adding errors under `path`; returns the normalised data. */
export function validateCommand(errors: FormErrors, path: Path, body: unknown): NormalizedCommand | undefined {
  if (!isObject(body)) {
    errors.add(path, ...FieldMsg.object);
    return undefined;
  }
  const type = body.type ?? ApplicationCommandType.ChatInput;
  if (typeof type !== "number" || !COMMAND_TYPES.includes(type)) {
    errors.add([...path, "type"], ...FieldMsg.choices(COMMAND_TYPES));
    return undefined;
  }
  const chatInput = type === ApplicationCommandType.ChatInput;
  checkName(errors, path, body.name, chatInput);
  checkDescription(errors, path, body.description, chatInput);
  let options: Record<string, unknown>[] | undefined;
  if (chatInput) options = checkOptions(errors, path, body.options, 0);
  else if (Array.isArray(body.options) && body.options.length > 0) {
    errors.add([...path, "options"], ...FieldMsg.maxLength(0));
  }
  let dmp: string | null = null;
  const rawPerms = body.default_member_permissions;
  if (rawPerms !== undefined && rawPerms !== null) {
    if ((typeof rawPerms === "string" && /^\d+$/.test(rawPerms)) || (typeof rawPerms === "number" && Number.isInteger(rawPerms) && rawPerms >= 0)) {
      dmp = BigInt(rawPerms).toString();
    } else errors.add([...path, "default_member_permissions"], ...FieldMsg.intType);
  }
  return {
    type,
    name: String(body.name ?? ""),
    name_localizations: (body.name_localizations as Record<string, string> | null | undefined) ?? undefined,
    description: typeof body.description === "string" ? body.description : "",
    description_localizations: (body.description_localizations as Record<string, string> | null | undefined) ?? undefined,
    options,
    default_member_permissions: dmp,
    dm_permission: typeof body.dm_permission === "boolean" ? body.dm_permission : undefined,
    contexts: Array.isArray(body.contexts) ? (body.contexts as number[]) : undefined,
    integration_types: Array.isArray(body.integration_types) ? (body.integration_types as number[]) : undefined,
    nsfw: typeof body.nsfw === "boolean" ? body.nsfw : undefined,
  };
}

export function commandRoutes(state: DiscordState, store: CommandStore): RouteDef[] {
  const checkApp = (req: RouteRequest) => {
    if (req.params.application_id !== state.applicationId) throw Errors.missingAccess();
    const g = req.params.guild_id;
    // The application can only manage commands of guilds it is installed in.
    if (g !== undefined && !state.guilds.has(g)) throw Errors.missingAccess();
    return g;
  };
  const list = (req: RouteRequest): RouteResult => ({ status: 200, body: [...store.scope(checkApp(req)).values()] });
  const bulk = (req: RouteRequest): RouteResult => {
    const guildId = checkApp(req);
    const errors = new FormErrors();
    if (!Array.isArray(req.body)) {
      errors.add([], ...FieldMsg.array);
      errors.throwIfAny();
    }
    const items = req.body as unknown[];
    const normalized = items.map((b, i) => validateCommand(errors, [i], b));
    const seen = new Set<string>();
    for (const n of normalized) {
      if (!n) continue;
      const key = `${n.type}:${n.name}`;
      if (seen.has(key)) errors.add([], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique");
      seen.add(key);
    }
    errors.throwIfAny();
    store.writes++;
    // Bulk overwrite: commands not in the list are deleted; same name and type keep their id.
    const scope = store.scope(guildId);
    const kept = new Set<string>();
    const result = normalized.map((n) => {
      const { command } = store.upsert(guildId, n!);
      kept.add(command.id);
      return command;
    });
    for (const id of [...scope.keys()]) if (!kept.has(id)) scope.delete(id);
    return { status: 200, body: result };
  };
  const create = (req: RouteRequest): RouteResult => {
    const guildId = checkApp(req);
    const errors = new FormErrors();
    const n = validateCommand(errors, [], req.body);
    errors.throwIfAny();
    store.writes++;
    const { command, created } = store.upsert(guildId, n!);
    return { status: created ? 201 : 200, body: command };
  };
  const getOne = (req: RouteRequest): RouteResult => {
    const c = store.scope(checkApp(req)).get(req.params.command_id!);
    if (!c) throw Errors.unknownCommand();
    return { status: 200, body: c };
  };
  const patch = (req: RouteRequest): RouteResult => {
    const guildId = checkApp(req);
    const scope = store.scope(guildId);
    const c = scope.get(req.params.command_id!);
    if (!c) throw Errors.unknownCommand();
    if (typeof req.body !== "object" || req.body === null) throw new HttpError(400, { message: "Invalid Form Body", code: 50035, errors: {} });
    const merged = { ...c, ...(req.body as object) };
    const errors = new FormErrors();
    const n = validateCommand(errors, [], merged);
    errors.throwIfAny();
    scope.delete(c.id);
    const { command } = store.upsert(guildId, n!);
    // Keep the command id stable across a rename.
    scope.delete(command.id);
    const renamed = { ...command, id: c.id } as APIApplicationCommand;
    scope.set(c.id, renamed);
    return { status: 200, body: renamed };
  };
  const del = (req: RouteRequest): RouteResult => {
    const scope = store.scope(checkApp(req));
    if (!scope.delete(req.params.command_id!)) throw Errors.unknownCommand();
    return { status: 204 };
  };
  const routes: RouteDef[] = [];
  for (const base of ["/applications/:application_id/commands", "/applications/:application_id/guilds/:guild_id/commands"]) {
    const r = (method: string, pattern: string, handler: RouteDef["handler"]) =>
      routes.push({ method, pattern, handler, auth: "bot", bucket: "default", global: true });
    r("GET", base, list);
    r("PUT", base, bulk);
    r("POST", base, create);
    r("GET", `${base}/:command_id`, getOne);
    r("PATCH", `${base}/:command_id`, patch);
    r("DELETE", `${base}/:command_id`, del);
  }
  return routes;
}
