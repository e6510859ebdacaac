import { afterAll, describe, expect, test } from "bun:test";
import { RobloxClient } from "../../src/roblox/client.ts";
import { decideRobloxAccess, type AccessInputs, type KeyWriteCheck } from "../../src/services/roblox-access.ts";
import type { RobloxRankWriter } from "../../src/services/roblox-port.ts";

/** The decision of design §10 on its own: no request is sent (clients are never called, only handed out). */
const operator = new RobloxClient({ apiKey: "operator-key", urlTemplate: "http://127.0.0.1:9/{service}" });
const guildKey = new RobloxClient({ apiKey: "guild-key", urlTemplate: "http://127.0.0.1:9/{service}" });
afterAll(async () => {
  await operator.close();
  await guildKey.close();
});
const confirmations: [RobloxRankWriter, number][] = [];
const confirming = (check: KeyWriteCheck) => async (client: RobloxRankWriter, groupId: number) => {
  confirmations.push([client, groupId]);
  return check;
};
const access = (inputs: Partial<AccessInputs>) =>
  decideRobloxAccess({ guildId: "1", home: false, operator, guildKey: undefined, storedKey: "none", confirmWrite: confirming({ canWrite: true }), ...inputs });

describe("whose Roblox credential acts for a guild", () => {
  test("a home guild without a key reads and writes with the operator's credential", async () => {
    const home = access({ home: true });
    expect(home.read).toBe(operator);
    expect(await home.writer(7)).toEqual({ allowed: true, client: operator, credential: "operator" });
  });

  test("a visiting guild without a key reads with the operator's credential and writes with nothing", async () => {
    const visiting = access({});
    expect(visiting.read).toBe(operator);
    expect(await visiting.writer(7)).toEqual({ allowed: false, refusal: { kind: "visiting-without-key", groupId: 7 } });
  });

  test("a guild's own key reads, and writes only once Roblox confirms it for that group", async () => {
    confirmations.length = 0;
    const confirmed = access({ guildKey, storedKey: "usable" });
    expect(confirmed.read).toBe(guildKey);
    expect(await confirmed.writer(7)).toEqual({ allowed: true, client: guildKey, credential: "guild-key" });
    expect(confirmations).toEqual([[guildKey, 7]]);

    const refused = access({ guildKey, storedKey: "usable", home: true, confirmWrite: confirming({ canWrite: false, unavailable: false, detail: "no changeRank" }) });
    expect(await refused.writer(7)).toEqual({ allowed: false, refusal: { kind: "key-cannot-manage-group", groupId: 7, detail: "no changeRank" } });
    const unknown = access({ guildKey, storedKey: "usable", confirmWrite: confirming({ canWrite: false, unavailable: true, detail: null }) });
    expect(await unknown.writer(7)).toEqual({ allowed: false, refusal: { kind: "check-unavailable", groupId: 7, detail: null } });
  });

  test("an unusable stored key refuses writes even for a home guild: never a fall-back to the operator's", async () => {
    for (const home of [true, false]) {
      const broken = access({ home, storedKey: "unusable" });
      expect(await broken.writer(7)).toEqual({ allowed: false, refusal: { kind: "stored-key-unusable", groupId: 7 } });
    }
  });
});
