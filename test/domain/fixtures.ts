/** A small military-style ladder shared by the domain tests. Snowflakes are realistic 18-19 digit ids. */
import { RankLadder, type Rank } from "../../src/ranks/ladder.ts";

export const ROLE = {
  enlist: "1187654321098765401",
  soldier: "1187654321098765402",
  corporal: "1187654321098765403",
  sergeant: "1187654321098765404",
  commander: "1187654321098765406",
  owner: "1187654321098765407",
  /** Not bound to any rank: must never be touched. */
  booster: "1187654321098765499",
  member: "1187654321098765498",
} as const;

export const RANKS = {
  enlist: rank(1, "E0 | Enlist", 2001, 1, ROLE.enlist, 0),
  soldier: rank(2, "E1 | Soldier", 2002, 3, ROLE.soldier, 10),
  corporal: rank(3, "E2 | Corporal", 2003, 5, ROLE.corporal, 25),
  sergeant: rank(4, "E5 | Sergeant", 2004, 10, ROLE.sergeant, 50),
  /** Deliberately has no Discord role. */
  lieutenant: rank(5, "O1 | Lieutenant", 2005, 50, null, 100),
  commander: rank(6, "Commander", 2006, 200, ROLE.commander, 0),
  owner: rank(7, "Owner", 2007, 255, ROLE.owner, 0),
} as const;

export const GUEST: Rank = rank(99, "Guest", 2000, 0, null, 0);

export function rank(
  id: number,
  name: string,
  robloxRoleId: number,
  robloxRank: number,
  discordRoleId: string | null,
  pointsRequired: number,
  position = id,
): Rank {
  return { id, position, name, robloxRoleId, robloxRank, discordRoleId, pointsRequired };
}

/** Given out of order on purpose: the ladder must sort. */
export function militaryLadder(): RankLadder {
  const { enlist, soldier, corporal, sergeant, lieutenant, commander, owner } = RANKS;
  return new RankLadder([sergeant, owner, enlist, GUEST, commander, soldier, lieutenant, corporal]);
}
