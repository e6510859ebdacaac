import type { DiscordEmulator } from "../emulators/discord/index.ts";
import type { RobloxEmulator } from "../emulators/roblox/index.ts";
import { discordValidator, robloxValidator } from "./openapi.ts";

/**
 * Every request an emulator recorded, checked against the vendor's OpenAPI document: one line per
 * request that does not conform (empty when all do). Roblox's OAuth endpoints are not in its
 * document, nor is Discord's OAuth2 token exchange (`POST /oauth2/token`), so they are left out.
 */
export function specProblems(sent: { discord?: Pick<DiscordEmulator, "requests">; roblox?: Pick<RobloxEmulator, "requests"> }): string[] {
  const discord = discordValidator();
  const roblox = robloxValidator();
  return [
    ...(sent.discord?.requests ?? [])
      .filter((r) => !/^\/api(?:\/v\d+)?\/oauth2\/token$/.test(r.path))
      .map((r) => ({
      what: `${r.method} ${r.path}`,
      result: discord.validate({ method: r.method, url: r.path, headers: r.headers, body: r.body }),
    })),
    ...(sent.roblox?.requests ?? [])
      .filter((r) => !r.path.startsWith("/oauth/"))
      .map((r) => ({ what: `${r.method} ${r.url}`, result: roblox.validate(r) })),
  ]
    .filter(({ result }) => !result.ok)
    .map(({ what, result }) => `${what}: ${result.errors.join("; ")}`);
}
