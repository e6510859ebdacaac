import type { SlashCommand } from "./types.ts";

export interface PingDependencies {
  /** Heartbeat latency of the shard in milliseconds, when known. */
  shardLatencyMs(shardId: number): number | undefined;
}

/** Liveness from inside Discord: which shard answered and its heartbeat latency. */
export function pingCommand({ shardLatencyMs }: PingDependencies): SlashCommand {
  return {
    definition: { name: "ping", description: "Check that rankbridge is answering, and its gateway latency" },
    ephemeral: true,
    async execute({ respond, shardId }) {
      const latency = shardLatencyMs(shardId);
      await respond.reply({
        content: `Pong from shard ${shardId}${latency === undefined ? "" : ` (heartbeat ${Math.round(latency)} ms)`}.`,
      });
    },
  };
}
