/**
 * The Discord answers the bot reads (guild, roles, members, our own user, member chunks), checked
 * at the edge like Roblox's: the spec's example parses, and without any one field the bot reads it
 * is a typed error naming the endpoint and the field.
 */
import { describe, expect, test } from "bun:test";
import type { z } from "zod";
import {
  DiscordMalformedAnswerError,
  discordChannelRef,
  discordEditedMember,
  discordGuild,
  discordMember,
  discordMemberChunk,
  discordRole,
  discordRoles,
  discordUser,
  parseDiscord,
} from "../../src/discord/schemas.ts";
import { caught, hasField, requiredFieldPaths, specExample, withoutField } from "../support/spec-examples.ts";

const SPEC = "discord-openapi.json";

const ENDPOINTS: { method: string; path: string; schema: z.ZodType }[] = [
  { method: "GET", path: "/guilds/{guild_id}", schema: discordGuild },
  { method: "GET", path: "/guilds/{guild_id}/roles", schema: discordRoles },
  { method: "GET", path: "/guilds/{guild_id}/members/{user_id}", schema: discordMember },
  { method: "PATCH", path: "/guilds/{guild_id}/members/{user_id}", schema: discordEditedMember },
  { method: "GET", path: "/users/@me", schema: discordUser },
  { method: "POST", path: "/guilds/{guild_id}/roles", schema: discordRole },
  { method: "POST", path: "/users/@me/channels", schema: discordChannelRef },
];

describe("Discord answers are parsed at the edge", () => {
  for (const { method, path, schema } of ENDPOINTS) {
    const endpoint = `${method} ${path}`;
    const example = specExample(SPEC, method, path);

    test(`${endpoint}: the spec's example parses`, () => {
      expect(() => parseDiscord(endpoint, schema, example)).not.toThrow();
    });

    const required = requiredFieldPaths(schema);
    test(`${endpoint}: every field the bot requires is in the spec's answer`, () => {
      expect(required.length).toBeGreaterThan(0);
      expect(required.filter((field) => !hasField(example, field))).toEqual([]);
    });

    for (const field of required) {
      test(`${endpoint}: without "${field}" it is a typed error naming the endpoint and the field`, () => {
        const error = caught(() => parseDiscord(endpoint, schema, withoutField(example, field)));
        expect(error).toBeInstanceOf(DiscordMalformedAnswerError);
        expect((error as DiscordMalformedAnswerError).endpoint).toBe(endpoint);
        expect((error as DiscordMalformedAnswerError).field).toBe(field);
        expect((error as DiscordMalformedAnswerError).message).toContain(`"${field}" is missing`);
      });
    }
  }

  test("a member chunk whose member lacks roles is an error, not a member with no roles", () => {
    const chunk = [{ user: { id: "123456789012345678", username: "amy" }, roles: ["223456789012345678"] }, { user: { id: "323456789012345678", username: "bo" } }];
    const error = caught(() => parseDiscord("gateway GUILD_MEMBERS_CHUNK", discordMemberChunk, chunk)) as DiscordMalformedAnswerError;
    expect(error).toBeInstanceOf(DiscordMalformedAnswerError);
    expect(error.field).toBe("1.roles");
  });
});
