// The two reads the dashboard's member lookup adds to the storage port, on both dialects: Roblox
// usernames by prefix and a member's last sync item, each within one guild only.
import { afterEach, describe, expect, test } from "bun:test";
import { DIALECTS, storesOf } from "./dialects.ts";

const G1 = "111111111111111111";
const G2 = "222222222222222222";
const ALICE = "333333333333333333";
const BOB = "444444444444444444";
const CAROL = "555555555555555555";

describe.each(DIALECTS)("member lookup reads on %s", (_name, dialect) => {
  const stores = storesOf(dialect);
  afterEach(() => stores.closeAll());

  test("Roblox usernames by prefix: case-insensitive, linked members of this guild only, `_` and `%` plain", async () => {
    const { repos } = await stores.open();
    await repos.members.link(G1, ALICE, { robloxUserId: 100, robloxUsername: "Legion_Alice", verifiedBy: "oauth" });
    await repos.members.link(G1, BOB, { robloxUserId: 101, robloxUsername: "legionBob", verifiedBy: "oauth" });
    await repos.members.link(G2, CAROL, { robloxUserId: 102, robloxUsername: "LegionCarol", verifiedBy: "oauth" });
    await repos.members.changePoints(G1, CAROL, { op: "add", amount: 1 }); // a row without a link

    const names = async (guildId: string, prefix: string) => (await repos.members.searchByRobloxUsername(guildId, prefix)).map((m) => m.robloxUsername);
    expect(await names(G1, "LEGION")).toEqual(["Legion_Alice", "legionBob"]);
    expect(await names(G1, "legion_")).toEqual(["Legion_Alice"]);
    expect(await names(G1, "legion%")).toEqual([]);
    expect(await names(G1, "LegionCarol")).toEqual([]);
    expect(await names(G2, "legion")).toEqual(["LegionCarol"]);
    expect(await names(G1, "")).toEqual([]);
    expect(await repos.members.searchByRobloxUsername(G1, "legion", 1)).toHaveLength(1);
  });

  test("a member's last sync item is the newest run's of this guild; another guild's runs are never read", async () => {
    const { repos, clock } = await stores.open();
    expect(await repos.syncRuns.lastItemForMember(G1, ALICE)).toBeUndefined();
    const first = (await repos.syncRuns.start(G1, { trigger: "background" })).run;
    await repos.syncRuns.insertItems(G1, first.id, [{ discordId: ALICE, robloxUserId: 100, addRoles: ["r1"] }]);
    await repos.syncRuns.finish(G1, first.id, { status: "done" });
    clock.now += 1000;
    const second = (await repos.syncRuns.start(G1, { trigger: "manual" })).run;
    await repos.syncRuns.insertItems(G1, second.id, [{ discordId: ALICE, robloxUserId: 100, removeRoles: ["r2"], status: "skipped", error: "above the bot" }, { discordId: BOB }]);
    await repos.syncRuns.finish(G1, second.id, { status: "done" });
    clock.now += 1000;
    const elsewhere = (await repos.syncRuns.start(G2, { trigger: "manual" })).run;
    await repos.syncRuns.insertItems(G2, elsewhere.id, [{ discordId: ALICE, addRoles: ["x"] }]);

    expect(await repos.syncRuns.lastItemForMember(G1, ALICE)).toMatchObject({
      run: { id: second.id, trigger: "manual", guildId: G1 },
      item: { discordId: ALICE, removeRoles: ["r2"], status: "skipped", error: "above the bot" },
    });
    expect((await repos.syncRuns.lastItemForMember(G2, ALICE))!.run.id).toBe(elsewhere.id);
    expect(await repos.syncRuns.lastItemForMember(G2, BOB)).toBeUndefined();
  });
});
