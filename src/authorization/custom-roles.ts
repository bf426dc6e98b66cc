/**
 * Custom role definitions (SPEC Z-1): roles a tenant defines itself, with the same permission blocks as the
 * built-in ones and the scopes they may be assigned at (`assignableScopes`).
 *
 *   /authorization/definitions/<guid>   one record per custom role
 *
 * Like the assignments, the (small) set is kept in process so that every request's authorization resolves a role
 * without a store read; every write goes through this class, which reloads its copy.
 */
import { getJson, listJson, putJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import { builtInRole, type RoleDefinition } from './role-definitions.js';

export interface CustomRoleRecord extends RoleDefinition {
  assignableScopes: string[];
  createdOn: string;
  updatedOn: string;
  createdBy: string;
  updatedBy: string;
}

const PREFIX = '/authorization/definitions/';
const key = (guid: string) => `${PREFIX}${guid.toLowerCase()}`;

export class CustomRoles {
  private cache: Map<string, CustomRoleRecord> | undefined;

  constructor(private readonly store: Store) {}

  /** Loads the set once (and after every write); the synchronous look-ups below need it loaded. */
  async load(): Promise<void> {
    if (this.cache) return;
    const records = (await listJson<CustomRoleRecord>(this.store, PREFIX)).map((d) => d.value);
    this.cache = new Map(records.map((r) => [r.name.toLowerCase(), r]));
  }

  /** A custom role by GUID (after `load`). */
  custom(guid: string): CustomRoleRecord | undefined {
    return this.cache?.get(guid.toLowerCase());
  }

  /** A built-in or custom role by GUID (after `load`). */
  role(guid: string): RoleDefinition | undefined {
    return builtInRole(guid) ?? this.custom(guid);
  }

  async all(): Promise<CustomRoleRecord[]> {
    await this.load();
    return [...this.cache!.values()];
  }

  async put(record: CustomRoleRecord, expected: 'create' | number): Promise<boolean> {
    const res = await putJson(this.store, key(record.name), record, { ifModRevision: expected === 'create' ? 0 : expected });
    this.cache = undefined;
    return res.succeeded;
  }

  /** The stored record with its revision (for a compare-and-swap update). */
  async withRevision(guid: string): Promise<{ value: CustomRoleRecord; modRevision: number } | undefined> {
    return getJson<CustomRoleRecord>(this.store, key(guid));
  }

  async delete(guid: string): Promise<void> {
    await this.store.delete(key(guid));
    this.cache = undefined;
  }
}
