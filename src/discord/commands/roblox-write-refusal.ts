import { RobloxWriteRefusedError, type RobloxWriteRefusal } from "../../services/roblox-access.ts";
import { CommandRefusedError } from "./guards.ts";

const KEY_NEEDS = (groupId: number) =>
  `an Open Cloud API key with the group:read and group:write scopes for group ${groupId}, whose owner has a role with the "Change rank" permission`;

/** What a member is told when their guild may not write Roblox ranks (design §10), and what to do. */
export function describeWriteRefusal(refusal: RobloxWriteRefusal): string {
  switch (refusal.kind) {
    case "visiting-without-key":
      return (
        "Nothing was changed: rankbridge changes Roblox ranks for this server only with a Roblox API key the server stored itself, and it has none. " +
        `An admin can add one with \`/config api-key\`: ${KEY_NEEDS(refusal.groupId)}. Discord roles still follow Roblox ranks with /sync.`
      );
    case "stored-key-unusable":
      return (
        "Nothing was changed: this server's stored Roblox API key can't be decrypted (the bot's ENCRYPTION_KEY changed or is missing), " +
        "so rankbridge writes no Roblox rank for this server. An admin can store the key again with `/config api-key`."
      );
    case "key-cannot-manage-group":
      return (
        `Nothing was changed: Roblox says this server's API key can't change ranks in group ${refusal.groupId}. ` +
        `It must be ${KEY_NEEDS(refusal.groupId)}. Fix it in Creator Dashboard → API Keys, then store it again with \`/config api-key\`.`
      );
    case "check-unavailable":
      return `Nothing was changed: Roblox couldn't be asked whether this server's API key may change ranks in group ${refusal.groupId}. Try again in a few minutes.`;
  }
}

/** Runs a rank change; a refused Roblox write becomes the refusal shown to the member. */
export async function withWriteRefusalsExplained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RobloxWriteRefusedError) throw new CommandRefusedError(describeWriteRefusal(error.refusal));
    throw error;
  }
}
