/** The hosts the bot talks to; each maps to `{service}` in the ROBLOX_API_URL template. */
export const ROBLOX_SERVICES = ["apis", "users", "groups", "thumbnails", "auth"] as const;
export type RobloxService = (typeof ROBLOX_SERVICES)[number];

export const DEFAULT_ROBLOX_URL_TEMPLATE = "https://{service}.roblox.com";

/** Builds absolute URLs from the `ROBLOX_API_URL` template (production, a proxy, or an emulator). */
export class RobloxUrls {
  readonly template: string;

  constructor(template: string = DEFAULT_ROBLOX_URL_TEMPLATE) {
    if (!template.includes("{service}")) {
      throw new TypeError(`ROBLOX_API_URL must contain {service}: ${template}`);
    }
    // A trailing slash would double up with the paths, which all start with "/".
    this.template = template.replace(/\/+$/, "");
  }

  base(service: RobloxService): string {
    return this.template.replaceAll("{service}", service);
  }

  url(service: RobloxService, path: string, query?: Record<string, string | number | boolean | undefined>): URL {
    const url = new URL(this.base(service) + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }
}

/** Open Cloud membership ids are the unpadded base64 of the decimal user id. */
export function membershipId(userId: number): string {
  return Buffer.from(String(userId)).toString("base64").replace(/=+$/, "");
}

export const userPath = (userId: number) => `users/${userId}`;
export const rolePath = (groupId: number, roleId: number) => `groups/${groupId}/roles/${roleId}`;

