/**
 * fast-check arbitraries for what people (or a stale command registration) can send the bot: huge
 * strings, control characters, markdown and mention syntax, out-of-range and non-integer numbers,
 * ids that name nothing, and options of the wrong type.
 */
import fc from "fast-check";
import { quotedInput } from "../../src/lib/quoted-input.ts";
import { ApplicationCommandOptionType, type APIApplicationCommandInteractionDataOption, type APIApplicationCommandOption } from "discord-api-types/v10";

/** Discord's longest string option value. */
export const MAX_STRING_OPTION = 6_000;

const HOSTILE_SNIPPETS = [
  "@everyone",
  "@here",
  "<@&123456789012345678>",
  "<@123456789012345678>",
  "<#123456789012345678>",
  "**bold**",
  "`code`",
  "```\nblock\n```",
  "||spoiler||",
  "> quote",
  "# heading",
  "[link](https://example.com)",
  "\u0000",
  "\u202e",
  "\u200b",
  "\r\n",
  " ",
  "",
  "NaN",
  "-1",
  "1e309",
  "Infinity",
  "0x1F",
  "' OR 1=1 --",
  "${process.env.DISCORD_TOKEN}",
  "<script>alert(1)</script>",
  "%s%n%d",
  "🙂🏳️‍🌈",
  "Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍",
];

/** Characters that break naive parsing and formatting. */
const NASTY_CHARACTER = fc.constantFrom("\u0000", "\u0007", "\n", "\r", "\t", "\u001b", "\u200b", "\u202e", "#", "*", "_", "~", "`", "|", ">", "@", "<", ":", ",", " ", "a", "1", "é", "🙂");

export function hostileString(maxLength = MAX_STRING_OPTION, valid: readonly string[] = []): fc.Arbitrary<string> {
  const weighted = (weight: number, arbitrary: fc.Arbitrary<string>) => ({ weight, arbitrary });
  const options = [
    weighted(3, fc.string({ maxLength: 40 })),
    weighted(3, fc.string({ unit: "binary", maxLength: 200 })),
    weighted(3, fc.string({ unit: NASTY_CHARACTER, maxLength: 200 })),
    weighted(3, fc.constantFrom(...HOSTILE_SNIPPETS)),
    weighted(3, fc.tuple(fc.constantFrom(...HOSTILE_SNIPPETS), fc.constantFrom(...HOSTILE_SNIPPETS, ...valid, "x")).map(([a, b]) => `${a}${b}`)),
    // Huge: up to the longest value the option allows.
    weighted(1, fc.integer({ min: 1, max: maxLength }).map((length) => "x".repeat(length))),
    weighted(1, fc.constant("9".repeat(maxLength))),
    weighted(1, fc.constant("@everyone ".repeat(Math.ceil(maxLength / 10)))),
  ];
  if (valid.length > 0) options.push(weighted(3, fc.constantFrom(...valid)), weighted(2, fc.constantFrom(...valid).map((value) => `  ${value.toUpperCase()}  `)));
  return fc.oneof(...options).map((text) => text.slice(0, maxLength));
}

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -3, max: 300 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 0.5, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 1e300, -1e300, Number.MIN_VALUE),
);

export interface OptionContext {
  /** Ids of users, roles and channels that exist, mixed in with ones that do not. */
  userIds: readonly string[];
  roleIds: readonly string[];
  channelIds: readonly string[];
  /** Plausible string values (rank names, durations) so handlers get past their first check. */
  strings: readonly string[];
}

type BasicOption = Exclude<APIApplicationCommandOption, { type: ApplicationCommandOptionType.Subcommand | ApplicationCommandOptionType.SubcommandGroup }>;

function snowflakeLike(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...known), fc.constantFrom("0", "1", "99999999999999999999", "not-a-snowflake", "", "<@123>"), fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String));
}

/** A value for `option`'s declared type, or (sometimes) one of another type, as a stale registration sends. */
function optionValue(option: BasicOption, context: OptionContext): fc.Arbitrary<APIApplicationCommandInteractionDataOption> {
  const typed = (type: ApplicationCommandOptionType, value: fc.Arbitrary<unknown>) =>
    value.map((v) => ({ name: option.name, type, value: v }) as unknown as APIApplicationCommandInteractionDataOption);
  const maxLength = "max_length" in option && option.max_length ? option.max_length : MAX_STRING_OPTION;
  const choices = "choices" in option && option.choices ? option.choices.map((choice) => String(choice.value)) : [];
  const declared = {
    [ApplicationCommandOptionType.String]: () => typed(option.type, hostileString(maxLength, [...context.strings, ...choices])),
    [ApplicationCommandOptionType.Integer]: () => typed(option.type, hostileNumber),
    [ApplicationCommandOptionType.Number]: () => typed(option.type, hostileNumber),
    [ApplicationCommandOptionType.Boolean]: () => typed(option.type, fc.boolean()),
    [ApplicationCommandOptionType.User]: () => typed(option.type, snowflakeLike(context.userIds)),
    [ApplicationCommandOptionType.Role]: () => typed(option.type, snowflakeLike(context.roleIds)),
    [ApplicationCommandOptionType.Mentionable]: () => typed(option.type, snowflakeLike([...context.userIds, ...context.roleIds])),
    [ApplicationCommandOptionType.Channel]: () => typed(option.type, snowflakeLike(context.channelIds)),
    [ApplicationCommandOptionType.Attachment]: () => typed(option.type, snowflakeLike(["1"])),
  }[option.type];
  const wrongType = fc.oneof(
    typed(ApplicationCommandOptionType.String, hostileString(100)),
    typed(ApplicationCommandOptionType.Integer, hostileNumber),
    typed(ApplicationCommandOptionType.Boolean, fc.boolean()),
    typed(ApplicationCommandOptionType.User, snowflakeLike(context.userIds)),
  );
  return fc.oneof({ weight: 9, arbitrary: declared() }, { weight: 1, arbitrary: wrongType });
}

function basicOptions(options: readonly BasicOption[], context: OptionContext): fc.Arbitrary<APIApplicationCommandInteractionDataOption[]> {
  const each = options.map((option) =>
    option.required ? optionValue(option, context).map((value) => [value]) : fc.oneof(fc.constant([]), optionValue(option, context).map((value) => [value])),
  );
  return fc.tuple(...each).map((lists) => lists.flat());
}

/** The options a member can send for a command definition: one subcommand (group) chosen, values of every kind. */
export function commandOptions(definitionOptions: readonly APIApplicationCommandOption[] | undefined, context: OptionContext): fc.Arbitrary<APIApplicationCommandInteractionDataOption[]> {
  const options = definitionOptions ?? [];
  const subcommands = options.filter((option) => option.type === ApplicationCommandOptionType.Subcommand || option.type === ApplicationCommandOptionType.SubcommandGroup);
  if (subcommands.length === 0) return basicOptions(options as BasicOption[], context);
  return fc.oneof(
    ...subcommands.map((sub) => {
      if (sub.type === ApplicationCommandOptionType.SubcommandGroup) {
        return commandOptions(sub.options, context).map((inner) => [{ name: sub.name, type: sub.type, options: inner }] as APIApplicationCommandInteractionDataOption[]);
      }
      return basicOptions((sub.options ?? []) as BasicOption[], context).map(
        (inner) => [{ name: sub.name, type: ApplicationCommandOptionType.Subcommand, options: inner }] as APIApplicationCommandInteractionDataOption[],
      );
    }),
  );
}

/**
 * Why `text` is not a clear message to show a person (null when it is): empty, too long for
 * Discord, a stack trace, or a raw JavaScript error. `echoed` (what the person typed) is left out
 * of the raw-text check: "NaN" they typed may be quoted back.
 */
export function unclearReason(text: string, echoed: readonly string[] = []): string | null {
  if (text.trim() === "") return "empty";
  if (text.length > 2_000) return `longer than Discord allows (${text.length})`;
  // Echoes are quoted as quotedInput() shows them (whitespace collapsed, shortened): remove both forms.
  const echoes = echoed.flatMap((input) => [input.trim(), quotedInput(input).slice(1, -1).replace(/…$/, "")]).filter(Boolean);
  let own = text;
  for (const input of echoes.sort((a, b) => b.length - a.length)) own = own.replaceAll(input, "");
  if (/\n\s+at .+[:(]\d+/.test(own) || /\.ts:\d+/.test(own)) return "a stack trace";
  if (/\b(TypeError|ReferenceError|RangeError|SyntaxError|undefined|NaN|\[object Object\]|Infinity)\b/.test(own)) return "raw error text";
  return null;
}

/** Every string value in a tree of options (to tell what the person typed from what the bot wrote). */
export function stringValues(options: readonly APIApplicationCommandInteractionDataOption[]): string[] {
  return options.flatMap((option) => {
    if ("options" in option && option.options) return stringValues(option.options);
    return "value" in option && typeof option.value === "string" ? [option.value] : [];
  });
}
