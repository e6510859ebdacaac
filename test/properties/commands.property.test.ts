import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  ApplicationCommandOptionType,
  ComponentType,
  InteractionResponseType,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
} from "discord-api-types/v10";
import { answerOf, AUTOCOMPLETE, MESSAGE_COMPONENT, MODAL_SUBMIT, startCommandWorld, sub, type CommandWorld } from "../commands/harness.ts";
import { eventually } from "../support/eventually.ts";
import { commandOptions, hostileString, stringValues, unclearReason, type OptionContext } from "./hostile-input.ts";

/**
 * Every slash command, driven through the bot as the real process composes it with generated
 * option values (hostile strings, numbers out of range or not integers, ids that name nothing,
 * options of the wrong type), by an admin and by a plain member. Whatever comes in: the command
 * answers, nothing escapes as an unexpected error, a refusal is a clear message, and a refusal
 * stores nothing.
 */
const GROUP = 4_400;
const RUNS_PER_COMMAND = Number(process.env.PROPERTY_RUNS ?? 40);

let world: CommandWorld;
let guild: { id: string; ownerId: string; systemChannelId: string };
let context: OptionContext;
let memberId: string;

beforeAll(async () => {
  const unlimited = { points: 1_000_000, windowSeconds: 60 };
  // A home guild: the operator's credential may write for it, so rank changes get past the access check.
  world = await startCommandWorld({ homeGuild: true, cooldowns: { link: { member: unlimited, guild: unlimited }, lookup: { member: unlimited, guild: unlimited } } });
  world.seedGroup(GROUP);
  guild = world.homeGuild!;
  await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  memberId = world.discord.addMember(guild.id, { username: "plain-member" }).user.id;
  const imported = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]));
  expect(imported.text).toContain("Imported");
  const ranks = await world.repositories.ranks.list(guild.id);
  const roles = world.discord.roles(guild.id);
  context = {
    userIds: [guild.ownerId, memberId, world.discord.botUserId],
    roleIds: roles.map((role) => role.id),
    channelIds: [guild.systemChannelId],
    strings: [...ranks.map((rank) => rank.name), "6h", "45s", "0s", "default", "all", "remove", "flag", "keep"],
  };
}, 30_000);

afterAll(async () => {
  await world.close();
});

/** Every row of every table, to tell whether a refused command stored anything. */
function databaseRows(): string {
  const sqlite = world.database.sqlite;
  const tables = sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  return JSON.stringify(tables.map(({ name }) => [name, sqlite.query(`SELECT * FROM "${name}"`).all()]));
}

function firstDifference(before: string, after: string): string {
  let index = 0;
  while (index < before.length && before[index] === after[index]) index++;
  return after.slice(Math.max(0, index - 120), index + 120);
}

interface RunOutcome {
  problems: string[];
}

/** Every string typed so far: a setting stored by one command (a nickname template "NaN") is shown back by another (/config show). */
const typedSoFar = new Set<string>();

async function runOnce(name: string, options: APIApplicationCommandInteractionDataOption[], actor: string): Promise<RunOutcome> {
  for (const value of stringValues(options)) typedSoFar.add(value);
  const before = databaseRows();
  const logsBefore = world.logLines.length;
  const interaction = await world.command(guild.id, actor, name, options);
  // A whole-server sync answers by editing its deferred reply while it runs in the background.
  await eventually(() => world.bot.parts.bulkSync.isRunning(guild.id), (running) => !running, 10_000);
  if (interaction.callbacks[0]?.type === InteractionResponseType.DeferredChannelMessageWithSource) {
    await interaction.waitForMessage((message) => message.content !== "" || message.embeds.length > 0, 5_000).catch(() => undefined);
  }
  const lines = world.logLines
    .slice(logsBefore)
    .flatMap((text) => text.split("\n"))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; interactionId?: string; err?: { message?: string } });
  const mine = lines.filter((line) => line.interactionId === interaction.id);
  const problems: string[] = [];
  const failed = mine.find((line) => line.msg === "command failed" || line.msg === "could not report the failure to the user");
  if (failed) problems.push(`unexpected error: ${failed.err?.message ?? failed.msg}`);
  if (interaction.callbacks.length === 0) return { problems: [...problems, "never answered"] };
  const answer = answerOf(interaction);
  if (answer.type !== InteractionResponseType.Modal) {
    const reason = unclearReason(answer.text, [...typedSoFar]);
    if (reason) problems.push(`unclear answer (${reason}): ${answer.text.slice(0, 300)}`);
  }
  const refused = mine.some((line) => line.msg === "command refused");
  const after = databaseRows();
  if (refused && after !== before) problems.push(`refused ("${answer.text.slice(0, 200)}") but the database changed: ${firstDifference(before, after)}`);
  return { problems };
}

describe("every command's options, generated", () => {
  test("covers every registered command", () => {
    expect(world.allCommands.length).toBeGreaterThanOrEqual(14);
  });

  const names = ["ping", "link-roblox", "unlink", "verify-rank", "sync", "promote", "demote", "set-rank", "list-ranks", "ranks", "points", "audit", "config", "sync-status"];
  for (const name of names) {
    test(`/${name}: answered, never an unexpected error, refusals clear and storing nothing`, async () => {
      const command = world.allCommands.find((candidate) => candidate.definition.name === name);
      expect(command).toBeDefined();
      await fc.assert(
        fc.asyncProperty(commandOptions(command!.definition.options, context), fc.constantFrom(guild.ownerId, memberId), async (options, actor) => {
          const { problems } = await runOnce(name, options, actor);
          if (problems.length > 0) throw new Error(`/${name} ${JSON.stringify(options).slice(0, 400)}: ${problems.join("; ")}`);
        }),
        { numRuns: RUNS_PER_COMMAND, endOnFailure: true },
      );
    }, 120_000);
  }
});

describe("what else a member can send, generated", () => {
  test("/config api-key's form: any text is a key Roblox accepts or a clear refusal, and a refused key is not stored", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString(), async (key) => {
        const before = databaseRows();
        const input = { type: ComponentType.TextInput, id: 2, custom_id: "api-key", value: key };
        const logsBefore = world.logLines.length;
        const interaction = await world.run({ guildId: guild.id, userId: guild.ownerId, type: MODAL_SUBMIT, customId: "config:api-key", components: [{ type: ComponentType.Label, id: 1, component: input }] as never });
        const failed = world.logLines.slice(logsBefore).some((line) => line.includes('"msg":"command failed"'));
        expect(failed).toBe(false);
        const answer = answerOf(interaction);
        expect(unclearReason(answer.text, [key])).toBeNull();
        expect(answer.text).not.toContain("API key saved");
        expect(databaseRows()).toBe(before);
      }),
      { numRuns: RUNS_PER_COMMAND },
    );
  }, 120_000);

  test("buttons and forms with any custom id: answered, never an unexpected error", async () => {
    const prefixes = [...world.allCommands.map((command) => `${command.definition.name}:`), "", "unknown:"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), hostileString(90, ["confirm", "api-key"]), fc.boolean(), async (prefix, action, button) => {
        const logsBefore = world.logLines.length;
        const customId = `${prefix}${action}`.slice(0, 100) || "x";
        const interaction = await world.run(
          button
            ? { guildId: guild.id, userId: memberId, type: MESSAGE_COMPONENT, customId, componentType: ComponentType.Button }
            : { guildId: guild.id, userId: guild.ownerId, type: MODAL_SUBMIT, customId, components: [] },
        );
        const failed = world.logLines.slice(logsBefore).find((line) => line.includes('"msg":"command failed"') || line.includes("failed outside a handler"));
        expect(failed).toBeUndefined();
        expect(interaction.callbacks.length).toBeGreaterThan(0);
        const answer = answerOf(interaction);
        if (answer.text !== "") expect(unclearReason(answer.text, [customId])).toBeNull();
      }),
      { numRuns: RUNS_PER_COMMAND * 2 },
    );
  }, 120_000);

  test("autocomplete of every option that has it: at most 25 choices Discord accepts, whatever is typed", async () => {
    const completions = world.allCommands.flatMap((command) =>
      autocompletedOptions(command.definition.options ?? []).map((path) => ({ name: command.definition.name, path })),
    );
    expect(completions.length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...completions), hostileString(100, context.strings), async ({ name, path }, typed) => {
        const leaf = { name: path.at(-1)!, type: ApplicationCommandOptionType.String, value: typed, focused: true };
        const options = path.slice(0, -1).reduceRight<APIApplicationCommandInteractionDataOption[]>(
          (inner, subName) => [{ name: subName, type: ApplicationCommandOptionType.Subcommand, options: inner } as APIApplicationCommandInteractionDataOption],
          [leaf as APIApplicationCommandInteractionDataOption],
        );
        const interaction = await world.run({ guildId: guild.id, userId: guild.ownerId, commandName: name, type: AUTOCOMPLETE, options });
        const callback = interaction.callbacks[0];
        expect(callback?.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
        const choices = (callback?.data?.choices ?? []) as { name: string; value: unknown }[];
        expect(choices.length).toBeLessThanOrEqual(25);
        for (const choice of choices) {
          expect(choice.name.length).toBeGreaterThan(0);
          expect(choice.name.length).toBeLessThanOrEqual(100);
          if (typeof choice.value === "string") expect(choice.value.length).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: RUNS_PER_COMMAND * 2 },
    );
  }, 120_000);
});

/** Paths (subcommand names, then the option) of every option with autocomplete. */
function autocompletedOptions(options: readonly APIApplicationCommandOption[], prefix: string[] = []): string[][] {
  return options.flatMap((option) => {
    if ("options" in option && option.options && (option.type === ApplicationCommandOptionType.Subcommand || option.type === ApplicationCommandOptionType.SubcommandGroup)) {
      return autocompletedOptions(option.options, [...prefix, option.name]);
    }
    return "autocomplete" in option && option.autocomplete ? [[...prefix, option.name]] : [];
  });
}
