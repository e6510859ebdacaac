import {
  ApplicationCommandOptionType,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIChatInputApplicationCommandInteraction,
  type APIUser,
  type APIInteractionDataResolvedGuildMember,
} from "discord-api-types/v10";

/**
 * Typed reads of a slash command's options (core has no option resolver; discord.js's lives in the
 * full library). Subcommands are flattened: `subcommand` names the one chosen.
 */
export class CommandOptions {
  readonly subcommandGroup: string | undefined;
  readonly subcommand: string | undefined;
  readonly #options: Map<string, APIApplicationCommandInteractionDataBasicOption>;
  readonly #resolved: APIChatInputApplicationCommandInteraction["data"]["resolved"];

  constructor(data: { options?: APIApplicationCommandInteractionDataOption[]; resolved?: APIChatInputApplicationCommandInteraction["data"]["resolved"] }) {
    let options = data.options ?? [];
    const group = options.find((o) => o.type === ApplicationCommandOptionType.SubcommandGroup);
    if (group && group.type === ApplicationCommandOptionType.SubcommandGroup) {
      this.subcommandGroup = group.name;
      options = group.options;
    }
    const sub = options.find((o) => o.type === ApplicationCommandOptionType.Subcommand);
    if (sub && sub.type === ApplicationCommandOptionType.Subcommand) {
      this.subcommand = sub.name;
      options = sub.options ?? [];
    }
    this.#options = new Map(
      options
        .filter((o): o is APIApplicationCommandInteractionDataBasicOption =>
          o.type !== ApplicationCommandOptionType.Subcommand && o.type !== ApplicationCommandOptionType.SubcommandGroup,
        )
        .map((o) => [o.name, o]),
    );
    this.#resolved = data.resolved;
  }

  string(name: string): string | undefined {
    const option = this.#options.get(name);
    return option?.type === ApplicationCommandOptionType.String ? option.value : undefined;
  }

  integer(name: string): number | undefined {
    const option = this.#options.get(name);
    if (option?.type !== ApplicationCommandOptionType.Integer && option?.type !== ApplicationCommandOptionType.Number) return undefined;
    // During autocomplete Discord may send the half-typed value as a string.
    return typeof option.value === "number" ? option.value : undefined;
  }

  boolean(name: string): boolean | undefined {
    const option = this.#options.get(name);
    return option?.type === ApplicationCommandOptionType.Boolean ? option.value : undefined;
  }

  /** The id of a user, role or channel option. */
  snowflake(name: string): string | undefined {
    const option = this.#options.get(name);
    return option && typeof option.value === "string" ? option.value : undefined;
  }

  /** A user option with what Discord resolved for it (the member is absent when they are not in the guild). */
  user(name: string): { user: APIUser; member: APIInteractionDataResolvedGuildMember | undefined } | undefined {
    const id = this.snowflake(name);
    const user = id ? this.#resolved?.users?.[id] : undefined;
    if (!id || !user) return undefined;
    return { user, member: this.#resolved?.members?.[id] };
  }

  /** The option being typed during autocomplete. */
  focused(): { name: string; value: string } | undefined {
    for (const option of this.#options.values()) {
      if ("focused" in option && option.focused) return { name: option.name, value: String(option.value) };
    }
    return undefined;
  }
}
