/**
 * Key operations on active keys (SPEC V-2): create, import, get, list, list versions, update, rotate, and the
 * rotation policy. Each authorizes the request's operation first (create and import check the name before), and
 * answers Key Vault's KeyBundle / KeyItem shapes.
 */
import { kvErrors } from '../errors.js';
import { shown } from '../../util/shown.js';
import { keyBundle, keyItem, vaultBase } from '../bundle.js';
import { CURVES, defaultKeyOps, generateKey, importJwk, isRsa, RSA_SIZES, type Curve, type KeyType } from '../key-crypto.js';
import type { KeyMeta, KeyVersionRecord } from '../key-store.js';
import { authorize } from './auth.js';
import { nowSeconds, type OperationDeps } from './deps.js';
import { activeMeta, addVersion, changedMeanwhile, latestOf, loadVersion, newVersionRecord } from './key-state.js';
import { pageOf, parseAttributes, parseKeyOps, parseTags, requireKeyName, type OperationResult, type RequestContext } from './request.js';

export async function createKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  requireKeyName(name);
  await authorize(d, c, name);
  const body = c.body();
  if (body.release_policy !== undefined && body.release_policy !== null) throw kvErrors.badParameter('Key release policies (secure key release) are not supported by aksemu.');
  const kty = body.kty;
  if (kty === undefined) throw kvErrors.badParameter("Property 'kty' is required.");
  if (typeof kty !== 'string' || !['RSA', 'RSA-HSM', 'EC', 'EC-HSM'].includes(kty)) {
    throw kvErrors.badParameter(`The key type '${shown(kty)}' is not supported by a vault. Supported: RSA, RSA-HSM, EC, EC-HSM (oct keys exist only in managed HSMs).`);
  }
  if (kty.endsWith('-HSM') && c.vault.properties.sku.name !== 'premium') {
    throw kvErrors.badParameter(`HSM-protected keys (kty ${kty}) need a Premium vault; the vault '${c.vault.name}' is Standard.`);
  }
  let size: number | undefined;
  let curve: Curve | undefined;
  if (isRsa(kty)) {
    if (body.crv !== undefined) throw kvErrors.badParameter(`The parameter 'crv' is not valid for a key of type ${kty}.`);
    size = body.key_size === undefined || body.key_size === null ? 2048 : (body.key_size as number);
    if (!RSA_SIZES.includes(size)) throw kvErrors.badParameter(`The key size ${shown(body.key_size)} is not supported for RSA keys. Supported sizes: 2048, 3072, 4096.`);
    if (body.public_exponent !== undefined && body.public_exponent !== null && body.public_exponent !== 65537) {
      throw kvErrors.badParameter('Only the public exponent 65537 is supported.');
    }
  } else {
    curve = (body.crv ?? 'P-256') as Curve;
    if (!CURVES.includes(curve)) throw kvErrors.badParameter(`The curve '${shown(body.crv)}' is not supported. Supported curves: ${CURVES.join(', ')}.`);
    if (body.key_size !== undefined && body.key_size !== null) throw kvErrors.badParameter(`The parameter 'key_size' is not valid for a key of type ${kty}.`);
  }
  const keyOps = parseKeyOps(body.key_ops, kty) ?? defaultKeyOps(kty as KeyType);
  const attrs = parseAttributes(body.attributes);
  const tags = parseTags(body.tags) ?? {};
  const record = await addVersion(d, c, name, async () =>
    newVersionRecord(d, c, name, kty as KeyType, await generateKey(kty as KeyType, { ...(size ? { size } : {}), ...(curve ? { curve } : {}) }), keyOps, attrs, tags),
  );
  c.audit.keyVersion = record.version;
  return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
}

export async function importKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  requireKeyName(name);
  await authorize(d, c, name);
  const body = c.body();
  const key = body.key as Record<string, unknown> | undefined;
  if (!key || typeof key !== 'object') throw kvErrors.badParameter("Property 'key' is required.");
  const kty = shown(key.kty);
  const pair = importJwk(key);
  const hsm = body.Hsm === true || kty.endsWith('-HSM');
  if (hsm && c.vault.properties.sku.name !== 'premium') throw kvErrors.badParameter(`HSM-protected keys need a Premium vault; the vault '${c.vault.name}' is Standard.`);
  const storedKty: KeyType = isRsa(kty) ? (hsm ? 'RSA-HSM' : 'RSA') : hsm ? 'EC-HSM' : 'EC';
  const keyOps = parseKeyOps(key.key_ops, storedKty) ?? defaultKeyOps(storedKty);
  const attrs = parseAttributes(body.attributes);
  const tags = parseTags(body.tags) ?? {};
  const record = await addVersion(d, c, name, async () => newVersionRecord(d, c, name, storedKty, pair, keyOps, attrs, tags));
  c.audit.keyVersion = record.version;
  return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
}

export async function getKey(d: OperationDeps, c: RequestContext, name: string, version?: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const loaded = await loadVersion(d, c, name, version);
  return { status: 200, body: keyBundle(c.vault, loaded.record, c.apiVersion) };
}

export async function updateKey(d: OperationDeps, c: RequestContext, name: string, version?: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const body = c.body();
  for (let attempt = 0; attempt < 5; attempt++) {
    const { meta, modRevision } = await activeMeta(d, c, name);
    const v = version ?? latestOf(meta);
    if (!meta.versions.some((x) => x.toLowerCase() === v.toLowerCase())) throw kvErrors.keyVersionNotFound(name, v);
    const current = await d.keys.version(c.vault.name, meta.name, v);
    if (!current) throw kvErrors.keyVersionNotFound(name, v);
    const attrs = parseAttributes(body.attributes);
    const keyOps = parseKeyOps(body.key_ops, current.kty);
    const tags = parseTags(body.tags);
    const next: KeyVersionRecord = {
      ...current,
      ...(keyOps ? { keyOps } : {}),
      ...(tags ? { tags } : {}),
      attributes: {
        ...current.attributes,
        ...(attrs.enabled !== undefined ? { enabled: attrs.enabled } : {}),
        updated: nowSeconds(d),
      },
    };
    if (attrs.hasNbf) {
      if (attrs.nbf === undefined) delete next.attributes.nbf;
      else next.attributes.nbf = attrs.nbf;
    }
    if (attrs.hasExp) {
      if (attrs.exp === undefined) delete next.attributes.exp;
      else next.attributes.exp = attrs.exp;
    }
    c.audit.keyVersion = current.version;
    if (await d.keys.write(c.vault.name, meta, modRevision, [next])) return { status: 200, body: keyBundle(c.vault, next, c.apiVersion) };
  }
  throw changedMeanwhile(name);
}

export async function listKeys(d: OperationDeps, c: RequestContext): Promise<OperationResult> {
  await authorize(d, c);
  const metas = (await d.keys.listMetas(c.vault.name)).filter((m) => !m.deleted).sort((a, b) => a.name.localeCompare(b.name));
  const items = [];
  for (const m of metas) {
    const r = await d.keys.version(c.vault.name, m.name, latestOf(m));
    if (r) items.push(keyItem(c.vault, r, c.apiVersion, { withVersion: false }));
  }
  return { status: 200, body: pageOf(c, items, '/keys') };
}

export async function listVersions(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await activeMeta(d, c, name);
  const records = await d.keys.versions(c.vault.name, meta.name);
  const order = new Map(meta.versions.map((v, i) => [v, i]));
  records.sort((a, b) => (order.get(a.version) ?? 0) - (order.get(b.version) ?? 0));
  return { status: 200, body: pageOf(c, records.map((r) => keyItem(c.vault, r, c.apiVersion, { withVersion: true })), `/keys/${meta.name}/versions`) };
}

/** A new version like the latest one (type, size or curve, operations, tags), with fresh key material. */
export async function rotateKey(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await activeMeta(d, c, name);
  const latest = (await d.keys.version(c.vault.name, meta.name, latestOf(meta)))!;
  const size = isRsa(latest.kty) ? Buffer.from(latest.jwk.n!, 'base64url').length * 8 : undefined;
  const record = await addVersion(d, c, meta.name, async () =>
    newVersionRecord(d, c, meta.name, latest.kty, await generateKey(latest.kty, { ...(size ? { size } : {}), ...(latest.jwk.crv ? { curve: latest.jwk.crv as Curve } : {}) }), latest.keyOps, { hasNbf: false, hasExp: false }, latest.tags),
  );
  c.audit.keyVersion = record.version;
  return { status: 200, body: keyBundle(c.vault, record, c.apiVersion) };
}

function rotationPolicyBody(c: RequestContext, meta: KeyMeta) {
  const p = meta.rotationPolicy;
  return {
    id: `${vaultBase(c.vault.name)}keys/${meta.name}/rotationpolicy`,
    lifetimeActions: p?.lifetimeActions ?? [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }],
    attributes: p?.attributes ?? null,
  };
}

export async function getRotationPolicy(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta } = await activeMeta(d, c, name);
  return { status: 200, body: rotationPolicyBody(c, meta) };
}

export async function setRotationPolicy(d: OperationDeps, c: RequestContext, name: string): Promise<OperationResult> {
  await authorize(d, c, name);
  const { meta, modRevision } = await activeMeta(d, c, name);
  const body = c.body();
  const actions = body.lifetimeActions ?? [];
  if (!Array.isArray(actions)) throw kvErrors.badParameter("The parameter 'lifetimeActions' must be an array.");
  for (const a of actions as Array<Record<string, unknown>>) {
    const type = shown((a?.action as { type?: unknown } | undefined)?.type ?? '').toLowerCase();
    if (type !== 'rotate' && type !== 'notify') throw kvErrors.badParameter("Each lifetime action needs action.type 'Rotate' or 'Notify'.");
  }
  const attrs = (body.attributes ?? {}) as { expiryTime?: unknown };
  if (attrs.expiryTime !== undefined && (typeof attrs.expiryTime !== 'string' || !/^P/.test(attrs.expiryTime))) throw kvErrors.badParameter("The attribute 'expiryTime' must be an ISO-8601 duration such as P90D.");
  const t = nowSeconds(d);
  const next: KeyMeta = {
    ...meta,
    rotationPolicy: {
      lifetimeActions: actions,
      attributes: { ...(typeof attrs.expiryTime === 'string' ? { expiryTime: attrs.expiryTime } : {}), created: meta.rotationPolicy?.attributes.created ?? t, updated: t },
    },
  };
  if (!(await d.keys.write(c.vault.name, next, modRevision))) throw changedMeanwhile();
  return { status: 200, body: rotationPolicyBody(c, next) };
}
