/**
 * Audit entries store what happened as a typed note; the views word it for /audit and the log
 * channel. Rows written before notes existed carry their own `detail` text and still show it.
 * Through the real repository (SQLite in memory), so the note survives its JSON column.
 */
import { describe, expect, test } from "bun:test";
import { auditLine } from "../../src/discord/commands/audit.ts";
import { auditEntryDetail, auditNoteOf } from "../../src/discord/views/audit-notes.ts";
import { auditEntryMessage } from "../../src/discord/views/audit-entry.ts";
import type { AuditNote } from "../../src/services/audit-notes.ts";
import { memoryDb } from "../db/helpers.ts";

const GUILD = "1100000000000000001";
const MEMBER = "1100000000000000002";
const corporal = { id: 3, name: "Corporal", robloxRank: 10 };

async function stored(entry: { detail?: string; note?: AuditNote; reason?: string }) {
  const { repos } = memoryDb();
  await repos.audit.append(GUILD, { actorId: "system", action: "roblox.write", targetDiscordId: MEMBER, ...entry });
  return (await repos.audit.listForMember(GUILD, MEMBER))[0]!;
}

describe("audit notes", () => {
  test("a note is stored as data and worded by the view", async () => {
    const row = await stored({ note: { kind: "roblox-write-abandoned", targetRank: 10, tries: 2, robloxError: "That Roblox account isn't a member of the group." } });
    expect(row.detail).toBeNull();
    expect(row.note).toEqual({ kind: "roblox-write-abandoned", targetRank: 10, tries: 2, robloxError: "That Roblox account isn't a member of the group." });
    const sentence = "Gave up setting Roblox rank 10 after 2 tries: That Roblox account isn't a member of the group. Fix that, then run /sync or the rank command again.";
    expect(auditEntryDetail(row)).toBe(sentence);
    expect(auditLine(row)).toContain("Gave up setting Roblox rank 10 after 2 tries");
    expect(auditEntryMessage(row).embeds![0]!.description).toBe(sentence);
  });

  test("a row from before notes shows its own text, in /audit and in the log channel", async () => {
    const row = await stored({ detail: "Queued Roblox rank change to rank 10 landed after 4 tries." });
    expect(row.note).toBeNull();
    expect(auditLine(row)).toContain("Queued Roblox rank change to rank 10 landed after 4 tries.");
    expect(auditEntryMessage(row).embeds![0]!.description).toBe("Queued Roblox rank change to rank 10 landed after 4 tries.");
  });

  test("a rank change's note gives the log channel the move and one line per step", async () => {
    const note: AuditNote = {
      kind: "rank-change",
      from: null,
      to: corporal,
      steps: [
        { step: "dm", status: "warning", code: "dms-closed" },
        { step: "database", status: "ok", code: "recorded", to: { ...corporal, position: 3, robloxRoleId: 1, discordRoleId: null, pointsRequired: 0 } },
      ],
    };
    const row = await stored({ note });
    expect(auditEntryMessage(row).embeds![0]!.description).toBe(
      "no rank → Corporal (Rank 10)\n✅ Database: recorded Corporal (Rank 10)\n⚠️ Direct message: not delivered: the member does not accept direct messages from this server",
    );
  });

  test("a moved link's note supplies the reason nobody typed", async () => {
    const row = await stored({
      note: { kind: "link-moved", robloxUsername: "Player1", method: "profile-phrase", fromDiscordId: MEMBER, toDiscordId: "1100000000000000003", roles: { status: "applied", added: [], removed: [] } },
    });
    expect(row.reason).toBeNull();
    expect(auditLine(row)).toContain('"<@1100000000000000003> proved ownership of Roblox Player1');
    expect(auditEntryMessage(row).embeds![0]!.fields!.find((field) => field.name === "Reason")?.value).toBe(
      "<@1100000000000000003> proved ownership of Roblox Player1 (profile-phrase)",
    );
  });

  test("a note of a kind this version does not know is not read as one", () => {
    expect(auditNoteOf({ kind: "from-a-newer-version", anything: 1 })).toBeNull();
    expect(auditNoteOf("text")).toBeNull();
    expect(auditNoteOf(null)).toBeNull();
    expect(auditEntryDetail({ detail: null, note: { kind: "from-a-newer-version" } })).toBeNull();
  });
});
