/**
 * The `role` field of the pages that take a Discord role (binds, the verified and unverified
 * roles): the roles that can be given, highest first as Discord lists them.
 */
import type { FC } from "hono/jsx";
import type { GuildRole } from "../../../ranks/hierarchy.ts";
import type { GuildSnapshot } from "../../../services/discord-port.ts";

/** Every role but @everyone and integration roles (nobody can give those), highest first. */
export function assignableRoles(guild: GuildSnapshot): GuildRole[] {
  return [...guild.roles.values()].filter((role) => role.id !== guild.id && !role.managed).sort((a, b) => b.position - a.position);
}

/**
 * `empty`: the first choice's words. A field that needs a role is `required` ("Pick a role"); a
 * setting that may be unset offers "None".
 */
export const RoleSelect: FC<{ id: string; roles: readonly GuildRole[]; chosen: string | null | undefined; empty: string; required?: boolean }> = (props) => (
  <>
    <label for={props.id}>role</label>
    <select id={props.id} name="role" required={props.required}>
      <option value="" selected={!props.chosen}>
        {props.empty}
      </option>
      {props.roles.map((role) => (
        <option value={role.id} selected={role.id === props.chosen}>
          {role.name}
        </option>
      ))}
    </select>
  </>
);
