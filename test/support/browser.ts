import request from 'supertest';

/** The part of supertest's cookie jar (the `cookiejar` package) that tests use. */
interface CookieJar {
  getCookie(name: string, access: { domain: string; path: string; secure: boolean; script: boolean }): { value: string } | undefined;
  setCookie(cookie: string, domain: string, path: string): unknown;
}

export interface Page {
  status: number;
  location?: string;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A cookie-keeping user agent that follows nothing by itself, so tests see every hop. */
export class Browser {
  private readonly agent: ReturnType<typeof request.agent>;

  constructor(readonly baseUrl: string) {
    this.agent = request.agent(baseUrl);
  }

  private path(url: string): string {
    return url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) || '/' : url;
  }

  /** The value of one of this browser's cookies for the issuer (sent to `path`), if it has it. */
  cookie(name: string, path = '/'): string | undefined {
    const { hostname } = new URL(this.baseUrl);
    return this.jar().getCookie(name, { domain: hostname, path, secure: false, script: false })?.value;
  }

  /** Plants a cookie in this browser, as a sibling site or an attacker with a foothold could. */
  setCookie(name: string, value: string, path = '/'): void {
    const { hostname } = new URL(this.baseUrl);
    this.jar().setCookie(`${name}=${value}; Path=${path}`, hostname, path);
  }

  private jar(): CookieJar {
    return (this.agent as unknown as { jar: CookieJar }).jar;
  }

  async get(url: string): Promise<Page> {
    const res = await this.agent.get(this.path(url)).redirects(0).set('Accept', 'text/html');
    return { status: res.status, location: res.headers.location, text: res.text, headers: res.headers };
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const res = await this.agent
      .post(this.path(url))
      .redirects(0)
      .set('Accept', 'text/html')
      .set(headers)
      .type('form')
      .send(fields);
    return { status: res.status, location: res.headers.location, text: res.text, headers: res.headers };
  }

  /** Posts a raw body exactly as given (malformed or oversized forms), with this browser's cookies. */
  async postRaw(url: string, body: string, contentType = 'application/x-www-form-urlencoded'): Promise<Page> {
    const res = await this.agent
      .post(this.path(url))
      .redirects(0)
      .set('Accept', 'text/html')
      .set('Content-Type', contentType)
      .send(body);
    return { status: res.status, location: res.headers.location, text: res.text, headers: res.headers };
  }

  /** Follows same-origin redirects from `url`; stops at the first page or at a redirect leaving the issuer. */
  async follow(url: string, max = 10): Promise<Page & { url: string }> {
    let current = url;
    for (let i = 0; i < max; i++) {
      const page = await this.get(current);
      if (!page.location) return { ...page, url: current };
      const next = new URL(page.location, this.baseUrl).href;
      if (!next.startsWith(this.baseUrl)) return { ...page, url: current };
      current = next;
    }
    throw new Error(`Too many redirects from ${url}`);
  }

  /** Posts a form and then follows redirects while they stay on the issuer. */
  async submit(url: string, fields: Record<string, string>): Promise<Page & { url: string }> {
    const page = await this.post(url, fields);
    if (!page.location) return { ...page, url };
    const next = new URL(page.location, this.baseUrl).href;
    if (!next.startsWith(this.baseUrl)) return { ...page, url };
    return this.follow(next);
  }
}

/** The value of a hidden or text input in an HTML page. */
export function inputValue(html: string, name: string): string | undefined {
  const tag = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`))?.[0];
  return tag?.match(/value="([^"]*)"/)?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
}

/** The action of the first form whose action contains `contains`. */
export function formAction(html: string, contains: string): string {
  const actions = [...html.matchAll(/<form[^>]*action="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  const action = actions.find((a) => a.includes(contains));
  if (!action) throw new Error(`No form with action containing ${contains} in:\n${html}`);
  return action;
}
