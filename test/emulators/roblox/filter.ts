/**
 * The CEL subset Open Cloud accepts for `ListGroupMemberships` ([PATTERNS]): one comparison,
 * `field == 'value'` or `field in ['v1', 'v2', ...]`. Anything else (other operators, `&&`,
 * unknown fields, unterminated strings) is a malformed filter.
 */
export interface ParsedFilter {
  field: string;
  op: "==" | "in";
  values: string[];
}

type Token = { kind: "ident" | "string" | "op" | "punct"; text: string };

function tokenize(input: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < input.length && /[A-Za-z0-9_.]/.test(input[j] as string)) j++;
      tokens.push({ kind: "ident", text: input.slice(i, j) });
      i = j;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = "";
      while (j < input.length && input[j] !== c) {
        if (input[j] === "\\" && j + 1 < input.length) j++;
        text += input[j];
        j++;
      }
      if (j >= input.length) return undefined; // unterminated
      tokens.push({ kind: "string", text });
      i = j + 1;
    } else if (input.startsWith("==", i)) {
      tokens.push({ kind: "op", text: "==" });
      i += 2;
    } else if (c === "[" || c === "]" || c === ",") {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else {
      return undefined;
    }
  }
  return tokens;
}

export function parseFilter(input: string): ParsedFilter | undefined {
  const tokens = tokenize(input);
  if (!tokens || tokens.length < 3) return undefined;
  const [field, op, ...rest] = tokens as [Token, Token, ...Token[]];
  if (field.kind !== "ident") return undefined;
  if (op.kind === "op" && op.text === "==") {
    if (rest.length !== 1 || rest[0]?.kind !== "string") return undefined;
    return { field: field.text, op: "==", values: [rest[0].text] };
  }
  if (op.kind === "ident" && op.text === "in") {
    if (rest[0]?.text !== "[" || rest[rest.length - 1]?.text !== "]") return undefined;
    const inner = rest.slice(1, -1);
    const values: string[] = [];
    for (let i = 0; i < inner.length; i++) {
      const t = inner[i] as Token;
      if (i % 2 === 0) {
        if (t.kind !== "string") return undefined;
        values.push(t.text);
      } else if (t.text !== ",") {
        return undefined;
      }
    }
    // A trailing comma leaves an odd-length list ending in ","; CEL allows it.
    return { field: field.text, op: "in", values };
  }
  return undefined;
}
