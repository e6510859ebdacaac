import { describe, expect, test } from "bun:test";
import { MemberRoleEditor, type MemberRolesWriter, type MemberWriteResult, type RoleEditReason } from "../../src/services/member-role-editor.ts";
import type { RoleProblem } from "../../src/ranks/hierarchy.ts";

/** A writer that records what it was asked and answers as told. */
function recordingWriter(answer: MemberWriteResult = { ok: true }) {
  const sent: { guildId: string; userId: string; roleIds: string[]; reason: RoleEditReason }[] = [];
  const writer: MemberRolesWriter = {
    async writeMemberRoles(guildId, userId, roleIds, reason) {
      sent.push({ guildId, userId, roleIds, reason });
      return answer;
    },
  };
  return { writer, sent };
}

const BULK: RoleEditReason = { kind: "bulk-sync", runId: 1 };
const allowAll = { check: () => ({ ok: true as const }) };
const problem: RoleProblem = { kind: "above-bot", roleId: "rank-2", roleName: "Sergeant", botRoleName: "rankbridge" };

describe("the one member-role editor", () => {
  test("sends the member's whole role set once: their other roles kept, the edit applied", async () => {
    const { writer, sent } = recordingWriter();
    const editor = new MemberRoleEditor({ writer, hierarchy: allowAll, auditReason: BULK });
    const outcome = await editor.edit("g", { discordId: "m", addRoleIds: ["rank-2"], removeRoleIds: ["rank-1"] }, ["verified", "rank-1"]);
    expect(outcome).toEqual({ kind: "updated", roleIds: ["verified", "rank-2"], added: ["rank-2"], removed: ["rank-1"] });
    expect(sent).toEqual([{ guildId: "g", userId: "m", roleIds: ["verified", "rank-2"], reason: BULK }]);
    expect(editor.requestsSent).toBe(1);
  });

  test("sends nothing when the member already holds what the edit wants, or is not in the guild", async () => {
    const { writer, sent } = recordingWriter();
    const editor = new MemberRoleEditor({ writer, hierarchy: allowAll, auditReason: BULK });
    expect(await editor.edit("g", { discordId: "m", addRoleIds: ["rank-2"], removeRoleIds: ["rank-1"] }, ["rank-2"])).toEqual({ kind: "already-applied" });
    expect(await editor.edit("g", { discordId: "m", addRoleIds: ["rank-2"], removeRoleIds: [] }, undefined)).toEqual({ kind: "left-guild" });
    expect(sent).toHaveLength(0);
  });

  test("a change the hierarchy refuses is reported, never sent (each refused request counts toward Discord's ban)", async () => {
    const { writer, sent } = recordingWriter();
    const hierarchy = { check: () => ({ ok: false as const, problems: [problem] }) };
    const editor = new MemberRoleEditor({ writer, hierarchy, auditReason: BULK });
    expect(await editor.edit("g", { discordId: "m", addRoleIds: ["rank-2"], removeRoleIds: [] }, [])).toEqual({ kind: "not-attempted", problems: [problem] });
    expect(sent).toHaveLength(0);
  });

  test("Discord's refusal comes back in the one outcome type, as the adapter classified it", async () => {
    const error = new Error("Missing Permissions");
    const { writer } = recordingWriter({ ok: false, kind: "forbidden", message: "Missing Permissions (50013)", error });
    const editor = new MemberRoleEditor({ writer, hierarchy: allowAll, auditReason: BULK });
    expect(await editor.edit("g", { discordId: "m", addRoleIds: ["rank-2"], removeRoleIds: [] }, [])).toEqual({
      kind: "forbidden",
      message: "Missing Permissions (50013)",
      error,
    });
  });
});
