/**
 * From entries to a member's standing without asking Roblox (standings.ts), and rankbridge's own
 * writes told from people's (own-writes.ts): real writes through the Roblox client against the
 * emulator, read back from its audit log.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { RankLadder } from "../../src/ranks/ladder.ts";
import type { AuditLogEntry } from "../../src/roblox/audit-log-schema.ts";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { OwnWrites } from "../../src/sync/change-feed/own-writes.ts";
import { entriesByMember, foldMember, type MemberEntry } from "../../src/sync/change-feed/standings.ts";
import { defaultRoles } from "../emulators/roblox/index.ts";
import { clientFor, GROUP_ID, ROLE, type RobloxEmulator, startWorld, USERS } from "../roblox/world.ts";

const CAPTAIN = { id: 30, name: "CaptainAmy" };
const AUDIT_KEY = "key-audit-write";

/** The group's whole ladder (every role but Guest), as /ranks import stores it. */
const ladder = new RankLadder(
  defaultRoles(GROUP_ID)
    .filter((role) => role.rank > 0)
    .sort((a, b) => a.rank - b.rank)
    .map((role, position) => ({ id: position + 1, position, name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId: `9${role.id}`, pointsRequired: 0 })),
);
const none = () => false;

let rbx: RobloxEmulator;
let client: RobloxClient;
let own: OwnWrites;

beforeEach(async () => {
  rbx = await startWorld();
  rbx.addUser(CAPTAIN);
  rbx.setMembership(GROUP_ID, CAPTAIN.id, ROLE.colonel);
  rbx.addApiKey(AUDIT_KEY, { ownerUserId: USERS.bot.id, scopes: ["group:read", "group:write", "legacy-group:manage"] });
  own = new OwnWrites();
  client = clientFor(rbx, { apiKey: AUDIT_KEY, onRankWritten: own.record });
});
afterEach(async () => {
  await client.close();
  await rbx.close();
});

async function entriesOf(userId: number): Promise<MemberEntry[]> {
  const page = await client.readAuditLog(GROUP_ID, { sortOrder: "Asc" });
  return entriesByMember(page.entries).get(userId) ?? [];
}

describe("foldMember", () => {
  test("ChangeRank gives the new role; leaving, removal and bans give 'not in the group'", async () => {
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ROLE.sergeant);
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.bob.id, ROLE.captain);
    rbx.banMemberAsUser(USERS.owner.id, GROUP_ID, USERS.bob.id);
    const alice = foldMember(USERS.alice.id, await entriesOf(USERS.alice.id), ROLE.private, ladder, none);
    expect(alice?.standing).toEqual({ kind: "known", membership: { roleId: ROLE.sergeant, rank: 20 } });
    expect(alice?.entries.map((entry) => entry.actor?.username)).toEqual([CAPTAIN.name]);
    const bob = foldMember(USERS.bob.id, await entriesOf(USERS.bob.id), ROLE.corporal, ladder, none);
    expect(bob?.standing).toEqual({ kind: "known", membership: null });
  });

  test("JoinGroup gives the base member role; AssignRole folds onto the stored rank; taking the highest role is unknown", async () => {
    rbx.joinGroupAsUser(USERS.carol.id, GROUP_ID);
    expect(foldMember(USERS.carol.id, await entriesOf(USERS.carol.id), null, ladder, none)?.standing).toEqual({
      kind: "known",
      membership: { roleId: ROLE.recruit, rank: 1 },
    });

    rbx.assignRoleAsUser(CAPTAIN.id, GROUP_ID, USERS.bob.id, ROLE.captain);
    const assigned = await entriesOf(USERS.bob.id);
    expect(foldMember(USERS.bob.id, assigned, ROLE.corporal, ladder, none)?.standing).toEqual({ kind: "known", membership: { roleId: ROLE.captain, rank: 120 } });
    // A lower role given beside a higher rank changes nothing; no stored rank to fold onto: unknown.
    expect(foldMember(USERS.bob.id, assigned, ROLE.general, ladder, none)?.standing).toEqual({ kind: "known", membership: { roleId: ROLE.general, rank: 250 } });
    expect(foldMember(USERS.bob.id, assigned, null, ladder, none)?.standing).toEqual({ kind: "unknown" });

    rbx.unassignRoleAsUser(CAPTAIN.id, GROUP_ID, USERS.bob.id, ROLE.captain);
    // Captain was their highest: what they hold next is not in the entry.
    expect(foldMember(USERS.bob.id, await entriesOf(USERS.bob.id), ROLE.corporal, ladder, none)?.standing).toEqual({ kind: "unknown" });
  });
});

describe("OwnWrites", () => {
  test("the entries of the client's own rank write are recognised, a person's are not, and the learned actor marks later ones", async () => {
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ROLE.sergeant);
    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.captain);
    const page = await client.readAuditLog(GROUP_ID, { sortOrder: "Asc" });
    const isOwn = (entry: AuditLogEntry) => own.isOwn(GROUP_ID, entry);
    expect(page.entries.map((entry) => [entry.actionType, entry.actor?.userId, isOwn(entry)])).toEqual([
      ["ChangeRank", CAPTAIN.id, false],
      ["AssignRole", USERS.bot.id, true],
      ["UnassignRole", USERS.bot.id, true],
    ]);
    // A member changed only by us has nothing to apply.
    expect(foldMember(USERS.bob.id, entriesByMember(page.entries).get(USERS.bob.id)!, ROLE.corporal, ladder, isOwn)).toBeUndefined();

    // A write the feed was not told of (another process of ours), by the same account: known by its actor now.
    rbx.changeRankAsUser(USERS.bot.id, GROUP_ID, USERS.alice.id, ROLE.corporal);
    const later = (await client.readAuditLog(GROUP_ID, { limit: 10 })).entries[0]!;
    expect(later.actor?.userId).toBe(USERS.bot.id);
    expect(own.isOwn(GROUP_ID, later)).toBe(true);
  });

  test("a fresh process knows no writes: the same entries are people's", async () => {
    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.captain);
    const fresh = new OwnWrites();
    const page = await client.readAuditLog(GROUP_ID);
    expect(page.entries.map((entry) => fresh.isOwn(GROUP_ID, entry))).toEqual([false, false]);
  });
});
