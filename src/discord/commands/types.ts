import type { API } from "@discordjs/core";
import type {
  APIApplicationCommandAutocompleteInteraction,
  APIApplicationCommandOptionChoice,
  APIChatInputApplicationCommandInteraction,
  APIMessageComponentInteraction,
  APIModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import type { Logger } from "../../observability/logger.ts";
import type { CooldownKind } from "../interactions/cooldowns.ts";
import type { InteractionResponder } from "../interactions/responder.ts";

/** Context shared by every kind of interaction a command handles. */
interface BaseContext<I> {
  interaction: I;
  api: API;
  logger: Logger;
  shardId: number;
}

export interface CommandContext extends BaseContext<APIChatInputApplicationCommandInteraction> {
  respond: InteractionResponder;
}

export interface ComponentContext extends BaseContext<APIMessageComponentInteraction> {
  respond: InteractionResponder;
  /** The custom id without the `command:` routing prefix. */
  action: string;
}

export interface ModalContext extends BaseContext<APIModalSubmitInteraction> {
  respond: InteractionResponder;
  action: string;
}

export type AutocompleteContext = BaseContext<APIApplicationCommandAutocompleteInteraction>;

/**
 * One slash command: its definition beside its handler. Buttons and modals it shows carry a
 * custom id `name:action` and come back to the same file.
 */
export interface SlashCommand {
  definition: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Replies only the invoker sees. Also the visibility of an automatic defer. */
  ephemeral?: boolean;
  /** Defer at once: the work is known to take longer than Discord's 3-second window. */
  deferImmediately?: boolean;
  /** Spends Roblox reads for a member: the command and its buttons are limited per member and per guild. */
  cooldown?: CooldownKind;
  execute(context: CommandContext): Promise<void>;
  autocomplete?(context: AutocompleteContext): Promise<APIApplicationCommandOptionChoice[]>;
  component?(context: ComponentContext): Promise<void>;
  modal?(context: ModalContext): Promise<void>;
}
