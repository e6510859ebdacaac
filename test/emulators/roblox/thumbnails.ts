/**
 * thumbnails.roblox.com `GET /v1/users/avatar-headshot` (notes §4): CSV `userIds`, `size` enum
 * (default 48x48), `format` Png|Jpeg|Webp (default Png), `isCircular`. Body as recorded:
 * `{"data":[{"targetId":1,"state":"Completed","imageUrl":"https://tr.rbxcdn.com/…/48/48/AvatarHeadshot/Png","version":"TN3"}]}`.
 *
 * Choices where Roblox is not documented: at most 100 ids (more: code 1); unknown users come back
 * with `state: "Error"` and `imageUrl: null`; banned users `Blocked`; `emulator.setThumbnailState()`
 * sets any other state. Code 10 (circular not allowed) is never sent.
 */
import { createHash } from "node:crypto";
import type { EmulatorEnv } from "./env.ts";
import { legacyError, legacyJson, legacyNotFound, type RequestContext } from "./http.ts";

export const HEADSHOT_SIZES = ["48x48", "50x50", "60x60", "75x75", "100x100", "110x110", "150x150", "180x180", "352x352", "420x420", "720x720"];
const FORMATS = ["Png", "Jpeg", "Webp"];
const MAX_IDS = 100;

export function headshotUrl(userId: number, size: string, format: string, circular: boolean): string {
  const hash = createHash("md5").update(`headshot:${userId}`).digest("hex");
  const [w, h] = size.split("x");
  return `https://tr.rbxcdn.com/${hash}/${w}/${h}/AvatarHeadshot/${format}${circular ? "/isCircular" : ""}`;
}

export function createThumbnailsHandler(env: EmulatorEnv): (ctx: RequestContext) => Response {
  return (ctx) => {
    if (ctx.method !== "GET" || ctx.path !== "/v1/users/avatar-headshot") return legacyNotFound();
    const raw = ctx.query.get("userIds") ?? "";
    const parts = raw.split(",").map((p) => p.trim());
    if (raw.trim() === "" || parts.some((p) => !/^\d{1,16}$/.test(p) || Number(p) <= 0)) {
      return legacyError(400, 4, "The requested Ids are invalid, of an invalid type or missing.");
    }
    const ids = [...new Set(parts.map(Number))];
    if (ids.length > MAX_IDS) return legacyError(400, 1, "There are too many requested Ids.");
    const size = ctx.query.get("size") ?? "48x48";
    if (!HEADSHOT_SIZES.includes(size)) {
      return legacyError(
        400,
        3,
        "The requested size is invalid. Please see documentation for valid thumbnail size parameter name and format.",
      );
    }
    const formatRaw = ctx.query.get("format") ?? "Png";
    const format = FORMATS.find((f) => f.toLowerCase() === formatRaw.toLowerCase());
    if (!format) {
      return legacyError(
        400,
        2,
        "The requested image format is invalid. Please see documentation for valid thumbnail format parameter name and values.",
      );
    }
    const circular = (ctx.query.get("isCircular") ?? "false").toLowerCase() === "true";
    return legacyJson({
      data: ids.map((id) => {
        const user = env.state.users.get(id);
        const state = user ? user.thumbnailState : "Error";
        return {
          targetId: id,
          state,
          imageUrl: state === "Completed" ? headshotUrl(id, size, format, circular) : null,
          version: "TN3",
        };
      }),
    });
  };
}
