/** `actionType` values the audit log accepts: the enum of Roblox's OpenAPI document (2026-08), verbatim. */
export const AUDIT_ACTION_TYPES: ReadonlySet<string> = new Set([
  "DeletePost", "RemoveMember", "AcceptJoinRequest", "DeclineJoinRequest", "PostStatus", "ChangeRank", "BuyAd",
  "SendAllyRequest", "CreateEnemy", "AcceptAllyRequest", "DeclineAllyRequest", "DeleteAlly", "DeleteEnemy",
  "AddGroupPlace", "RemoveGroupPlace", "CreateItems", "ConfigureItems", "SpendGroupFunds", "ChangeOwner", "Delete",
  "AdjustCurrencyAmounts", "Abandon", "Claim", "Rename", "ChangeDescription", "InviteToClan", "KickFromClan",
  "CancelClanInvite", "BuyClan", "CreateGroupAsset", "UpdateGroupAsset", "ConfigureGroupAsset", "RevertGroupAsset",
  "CreateGroupDeveloperProduct", "ConfigureGroupGame", "CreateGroupDeveloperSubscriptionProduct", "Lock", "Unlock",
  "CreateGamePass", "CreateBadge", "ConfigureBadge", "SavePlace", "PublishPlace", "UpdateRolesetRank",
  "UpdateRolesetData", "BanMember", "UnbanMember", "CreateForumCategory", "UpdateForumCategory",
  "ArchiveForumCategory", "DeleteForumCategory", "DeleteForumPost", "DeleteForumComment", "PinForumPost",
  "UnpinForumPost", "LockForumPost", "UnlockForumPost", "CreateRoleset", "DeleteRoleset", "CreateCommerceProduct",
  "SetCommerceProductActive", "ArchiveCommerceProduct", "AcceptCommerceProductBundlingFee",
  "SetCommerceProductInactive", "ConnectMerchant", "DisconnectMerchant", "JoinGroup", "LeaveGroup", "UpdateGroupIcon",
  "UpdateGroupCoverPhoto", "AssignRole", "UnassignRole", "PublishAnnouncement", "DeleteAnnouncement",
  "UpdateRoleSetPermissions", "UpdateGroupSecuritySettings", "GrantEnterpriseTier", "RevokeEnterpriseTier",
]);
