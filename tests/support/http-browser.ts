/**
 * A browser reduced to what the redirect dance of single sign-on needs: cookies per host and port
 * (name=value, dropped when expired), redirects followed one by one so a test can stop at any of them.
 */
export class HttpBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).host)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const host = new URL(origin).host;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, value);
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).host;
    const cookies = [...(this.jar.get(host) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    const headers = new Headers(init.headers);
    if (!headers.has("accept")) headers.set("accept", "text/html,application/xhtml+xml");
    if (cookies) headers.set("cookie", cookies);
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some(
        (a) => /^max-age=(0|-\d+)$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()),
      );
      if (!this.jar.has(host)) this.jar.set(host, new Map());
      if (expired || value === "") this.jar.get(host)!.delete(name);
      else this.jar.get(host)!.set(name, value);
    }
    return res;
  }

  /** Follows redirects from `url` until an answer that is not one, or a location `stop` accepts (not fetched). */
  async follow(url: string, stop: (location: URL) => boolean = () => false, init: RequestInit = {}) {
    let res = await this.fetch(url, init);
    let current = new URL(url);
    for (let hops = 0; hops < 15 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get("location")!, current);
      if (stop(next)) return { res, location: next };
      current = next;
      res = await this.fetch(next.href);
    }
    return { res, location: current };
  }
}
