/**
 * What makes an example's request mean the same against this instance as it did against Azure: the instance's
 * subscription, a resource group of the example's own (unique per example), real principals, real regions, vault
 * addresses of this instance, versions the instance offers, keys and ciphertexts that exist here. One set of
 * substitutions is applied to the example's parameters and responses alike, so an echoed value stays echoed.
 */
export class Substitutions {
  private readonly exact = new Map<string, string | undefined>();
  private readonly texts: Array<[string, string]> = [];
  private readonly keyed: Array<{ key: RegExp; map: (v: string) => string }> = [];
  private readonly groups = new Map<string, string>();

  constructor(
    readonly subscriptionId: string,
    /** Prefix of this example's resource groups (and of other names that must be unique per example). */
    readonly prefix: string,
  ) {}

  /** A whole string value replaced (undefined: the property or parameter is dropped). */
  value(from: string, to: string | undefined): this {
    this.exact.set(from, to);
    return this;
  }

  /** Every occurrence of a text inside strings replaced (host names, resource type segments). */
  text(from: string, to: string): this {
    this.texts.push([from, to]);
    return this;
  }

  /** String values of properties whose name matches, mapped. */
  property(key: RegExp, map: (v: string) => string): this {
    this.keyed.push({ key, map });
    return this;
  }

  /** This example's name for a resource group of the example (created by the harness before the request). */
  group(name: string): string {
    const k = name.toLowerCase();
    let g = this.groups.get(k);
    if (!g) {
      g = `${this.prefix}-${name}`.slice(0, 90);
      this.groups.set(k, g);
    }
    return g;
  }

  /**
   * Names a resource group of the example so that it sorts before every other example's (a digit before their `x`):
   * for a subscription-wide list with a page size, whose first page must be the example's own resources while
   * other examples' resources share the subscription.
   */
  groupFirst(name: string): void {
    this.groups.set(name.toLowerCase(), `0${this.prefix}-${name}`.slice(0, 90));
  }

  /** The resource groups the example's requests and ids name, as this instance's names. */
  groupsUsed(): string[] {
    return [...this.groups.values()];
  }

  string(s: string): string | undefined {
    if (this.exact.has(s)) return this.exact.get(s);
    return this.inside(s);
  }

  /** Texts and resource ids inside a string (what a map's keys get: never a whole-value substitution). */
  private inside(s: string): string {
    let out = s;
    for (const [from, to] of this.texts) out = out.split(from).join(to);
    // Resource ids (and URLs and scopes holding them): the instance's subscription, the example's own groups.
    out = out.replace(/(^|\/)subscriptions\/[^/?]+/gi, (_m, lead: string) => `${lead}subscriptions/${this.subscriptionId}`);
    out = out.replace(/\/resourceGroups\/([^/?]+)/gi, (m, name: string) => `${m.slice(0, m.length - name.length)}${this.group(name)}`);
    return out;
  }

  /** The substitutions applied to a JSON value (keys included: some maps are keyed by resource ids). */
  apply<T>(v: T, key = ''): T {
    if (typeof v === 'string') {
      let s = this.string(v);
      if (s !== undefined) for (const k of this.keyed) if (k.key.test(key)) s = k.map(s);
      return s as T;
    }
    if (Array.isArray(v)) return v.map((x) => this.apply(x, key)).filter((x) => x !== undefined) as T;
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const value = this.apply(x, k);
        if (value !== undefined) out[this.inside(k)] = value;
      }
      return out as T;
    }
    return v;
  }
}
