import type { MemberSyncService } from "../../services/member-sync.ts";
import type { BulkSync } from "../../sync/bulk-sync.ts";
import type { SyncScheduler } from "../../sync/scheduler.ts";
import type { FeedStatus } from "../../sync/change-feed/status.ts";
import { type SyncStatusDependencies, syncStatusCommand } from "./sync-status.ts";
import { type SyncCommandDependencies, syncCommand } from "./sync.ts";
import type { SlashCommand } from "./types.ts";

export interface SyncServices {
  bulkSync: BulkSync;
  scheduler: SyncScheduler;
  memberSync: Pick<MemberSyncService, "syncMember">;
  /** The Roblox change feed's state; undefined when it is off. */
  changeFeed?: FeedStatus | undefined;
}

/** `/sync` and `/sync-status`, for the command list in `app.ts`. */
export function syncCommands(deps: SyncCommandDependencies & SyncStatusDependencies, services: SyncServices): SlashCommand[] {
  return [syncCommand(deps, services), syncStatusCommand(deps, services)];
}
