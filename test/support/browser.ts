/**
 * A browser as far as "Sign in with Roblox" needs one: it keeps the cookies each origin sets (and
 * sends them back only there), follows nothing by itself, and posts forms. Two instances are two
 * people's browsers.
 */
export class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();

  async get(url: string | URL): Promise<Response> {
    return this.#send(new URL(url), { method: "GET" });
  }

  /** Posts a form; `headers` adds what a real browser would send too (its `Origin`). */
  async post(url: string | URL, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.#send(new URL(url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** The cookies this browser holds for an origin, with their attributes as set. */
  cookies(origin: string): Map<string, string> {
    return this.#cookies.get(origin) ?? new Map();
  }

  async #send(url: URL, init: RequestInit): Promise<Response> {
    const jar = this.#cookies.get(url.origin);
    const cookie = jar ? [...jar].map(([name, value]) => `${name}=${value.split(";")[0]}`).join("; ") : undefined;
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const [name, ...value] = pair!.split("=");
      const kept = this.#cookies.get(url.origin) ?? new Map<string, string>();
      // A deletion (Max-Age=0) drops the cookie; otherwise the value and its attributes are kept.
      if (/max-age=0/i.test(header)) kept.delete(name!.trim());
      else kept.set(name!.trim(), `${value.join("=")}${header.slice(pair!.length)}`);
      this.#cookies.set(url.origin, kept);
    }
    return response;
  }
}

/** The hidden fields of the confirmation form on a page. */
export function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}
