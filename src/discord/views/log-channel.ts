/** The words of `/config log-channel` (and the dashboard's same setting): the notice posted to prove the bot can post there, and the replies. */
export const logChannelWording = {
  notice: (actorId: string) => `rankbridge will log rank changes in this channel (set by <@${actorId}>).`,
  notHere: "Pick a text channel of this server for the log.",
  cannotPost: (channelId: string) =>
    `rankbridge can't post in <#${channelId}>. Give its role View Channel, Send Messages and Embed Links there, then run this again.`,
  set: (channelId: string) => `Rank changes will be logged in <#${channelId}>.`,
  unset: "Rank changes are no longer posted to a channel (they are still kept; see /audit).",
};
