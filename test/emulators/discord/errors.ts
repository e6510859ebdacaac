// Discord's JSON error bodies: {message, code} plus, for 50035, a nested `errors` object whose leaves are
// {_errors: [{code, message}]} keyed by field name or array index (docs: reference#error-messages).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
  }
}

const err = (status: number, code: number, message: string) => () => new HttpError(status, { message, code });

export const Errors = {
  unauthorized: err(401, 0, "401: Unauthorized"),
  notFound: err(404, 0, "404: Not Found"),
  methodNotAllowed: err(405, 0, "405: Method Not Allowed"),
  invalidJson: err(400, 50109, "The request body contains invalid JSON."),
  invalidApiVersion: err(400, 50041, "Invalid API version provided."),
  unknownChannel: err(404, 10003, "Unknown Channel"),
  unknownGuild: err(404, 10004, "Unknown Guild"),
  unknownMember: err(404, 10007, "Unknown Member"),
  unknownMessage: err(404, 10008, "Unknown Message"),
  unknownRole: err(404, 10011, "Unknown Role"),
  unknownUser: err(404, 10013, "Unknown User"),
  unknownWebhook: err(404, 10015, "Unknown Webhook"),
  unknownInteraction: err(404, 10062, "Unknown interaction"),
  unknownCommand: err(404, 10063, "Unknown application command"),
  alreadyAcknowledged: err(400, 40060, "Interaction has already been acknowledged."),
  missingAccess: err(403, 50001, "Missing Access"),
  emptyMessage: err(400, 50006, "Cannot send an empty message"),
  cannotDmUser: err(403, 50007, "Cannot send messages to this user"),
  missingPermissions: err(403, 50013, "Missing Permissions"),
  invalidWebhookToken: err(401, 50027, "Invalid Webhook Token"),
  invalidRole: err(400, 50028, "Invalid Role"),
};

/** Collects field errors and renders Discord's nested 50035 "Invalid Form Body" shape. */
export class FormErrors {
  private root: Record<string, unknown> = {};
  count = 0;

  add(path: readonly (string | number)[], ...[code, message]: FieldMessage): void {
    let node = this.root;
    for (const key of path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    node._errors ??= [];
    (node._errors as unknown[]).push({ code, message });
    this.count++;
  }

  throwIfAny(): void {
    if (this.count > 0) throw formError(this.root);
  }
}

export function formError(errors: Record<string, unknown>): HttpError {
  return new HttpError(400, { message: "Invalid Form Body", code: 50035, errors });
}

export type FieldMessage = readonly [code: string, message: string];

// Messages Discord uses for the common field validators.
export const FieldMsg = {
  required: ["BASE_TYPE_REQUIRED", "This field is required"] as FieldMessage,
  badLength: (min: number, max: number) => ["BASE_TYPE_BAD_LENGTH", `Must be between ${min} and ${max} in length.`] as FieldMessage,
  maxLength: (max: number) => ["BASE_TYPE_MAX_LENGTH", `Must be ${max} or fewer in length.`] as FieldMessage,
  string: ["BASE_TYPE_STRING", "Could not interpret value as string."] as FieldMessage,
  choices: (choices: readonly (string | number)[]) =>
    ["BASE_TYPE_CHOICES", `Value must be one of {${choices.join(", ")}}.`] as FieldMessage,
  intType: ["NUMBER_TYPE_COERCE", "Value is not int."] as FieldMessage,
  numberMin: (min: number) => ["NUMBER_TYPE_MIN", `int value should be greater than or equal to ${min}.`] as FieldMessage,
  numberMax: (max: number) => ["NUMBER_TYPE_MAX", `int value should be less than or equal to ${max}.`] as FieldMessage,
  snowflake: ["NUMBER_TYPE_COERCE", "Value is not snowflake."] as FieldMessage,
  array: ["BASE_TYPE_ARRAY", "Must be an array."] as FieldMessage,
  bool: ["BASE_TYPE_BOOLEAN", "Must be either true or false."] as FieldMessage,
  object: ["DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"] as FieldMessage,
};
