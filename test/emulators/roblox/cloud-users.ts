/**
 * Open Cloud v2 users: GET /cloud/v2/users/{user_id} (`about` is the profile description the bot
 * reads for the ownership phrase), and `:generateThumbnail` with its operation, which completes at
 * once (`done: true`).
 */
import { randomUUID } from "node:crypto";
import type { Principal } from "./auth.ts";
import type { CloudRoute } from "./cloud.ts";
import type { EmulatorEnv } from "./env.ts";
import { parseId, type RequestContext, v2Error } from "./http.ts";
import { isoTime, type UserRecord } from "./state.ts";
import { headshotUrl } from "./thumbnails.ts";

const USER = "/cloud/v2/users/([^/:]+)";
const THUMBNAIL_SIZES = [48, 50, 60, 75, 100, 110, 150, 180, 352, 420, 720];
const RESPONSE_TYPE = "apis.roblox.com/roblox.open_cloud.cloud.v2.GenerateUserThumbnailResponse";

export function cloudUserRoutes(env: EmulatorEnv): CloudRoute[] {
  const operations = new Map<string, { userId: number; imageUri: string }>();

  function userFor(raw: string): UserRecord | Response {
    const id = parseId(raw);
    if (id === undefined) return v2Error("INVALID_ARGUMENT", "Invalid User ID in the request.");
    const user = env.state.users.get(id);
    if (!user) return v2Error("NOT_FOUND", `User ${id} not found.`);
    return user;
  }

  function getUser(_ctx: RequestContext, [uid]: string[], principal: Principal): Response {
    const user = userFor(uid as string);
    if (user instanceof Response) return user;
    return Response.json({
      path: `users/${user.id}`,
      createTime: isoTime(user.createdMs),
      id: String(user.id),
      name: user.name,
      displayName: user.displayName,
      about: user.description,
      locale: user.locale,
      premium: user.premium,
      ...(principal.scopes.has("user.advanced:read") ? { idVerified: user.idVerified } : {}),
      ...(principal.scopes.has("user.social:read")
        ? { socialNetworkProfiles: { visibility: "NO_ONE" } }
        : {}),
    });
  }

  function operationJson(opId: string, op: { userId: number; imageUri: string }) {
    return {
      path: `users/${op.userId}/operations/${opId}`,
      done: true,
      response: { "@type": RESPONSE_TYPE, imageUri: op.imageUri },
    };
  }

  function generateThumbnail(ctx: RequestContext, [uid]: string[]): Response {
    const user = userFor(uid as string);
    if (user instanceof Response) return user;
    const sizeRaw = ctx.query.get("size");
    const size = sizeRaw === null ? 420 : Number(sizeRaw);
    if (!THUMBNAIL_SIZES.includes(size)) return v2Error("INVALID_ARGUMENT", `Invalid size: ${sizeRaw}.`);
    const format = (ctx.query.get("format") ?? "PNG").toUpperCase();
    if (!["FORMAT_UNSPECIFIED", "PNG", "JPEG"].includes(format)) return v2Error("INVALID_ARGUMENT", `Invalid format: ${format}.`);
    const shape = (ctx.query.get("shape") ?? "ROUND").toUpperCase();
    if (!["SHAPE_UNSPECIFIED", "ROUND", "SQUARE"].includes(shape)) return v2Error("INVALID_ARGUMENT", `Invalid shape: ${shape}.`);
    const op = {
      userId: user.id,
      imageUri: headshotUrl(user.id, `${size}x${size}`, format === "JPEG" ? "Jpeg" : "Png", shape !== "SQUARE"),
    };
    const opId = randomUUID();
    operations.set(opId, op);
    return Response.json(operationJson(opId, op));
  }

  function getOperation(_ctx: RequestContext, [uid, opId]: string[]): Response {
    const op = operations.get(opId as string);
    if (!op || String(op.userId) !== uid) return v2Error("NOT_FOUND", "Operation not found.");
    return Response.json(operationJson(opId as string, op));
  }

  return [
    { method: "GET", pattern: new RegExp(`^${USER}$`), apiClass: "users.get", handler: getUser },
    { method: "GET", pattern: new RegExp(`^${USER}:generateThumbnail$`), apiClass: "users.get", handler: generateThumbnail },
    { method: "GET", pattern: new RegExp(`^${USER}/operations/([^/:]+)$`), apiClass: "users.get", handler: getOperation },
  ];
}
