/**
 * Scenario profiles: a named partial scenario (`profiles.full`) laid over the base one
 * before it is validated, so `--profile full` can restore the seed's full size and
 * durations where the default profile shortens them for CI.
 *
 * Objects merge key by key. Lists of named things (steps, probes, fixtures, by `name`;
 * expectations by `id`) merge item by item: an item whose name is already there is
 * merged into it, a new name is appended. Any other list, and every scalar, replaces.
 */

type Json = unknown;

/** The key that identifies items of a list, when every item of both lists has one. */
function itemKey(base: readonly Json[], overlay: readonly Json[]): 'name' | 'id' | null {
  const all = [...base, ...overlay];
  if (all.length === 0) return null;
  for (const key of ['name', 'id'] as const) {
    if (all.every((item) => isRecord(item) && typeof item[key] === 'string')) return key;
  }
  return null;
}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeLists(base: readonly Json[], overlay: readonly Json[]): Json[] {
  const key = itemKey(base, overlay);
  if (key === null) return [...overlay];
  const merged = base.map((item) => item);
  for (const item of overlay) {
    const name = (item as Record<string, Json>)[key];
    const at = merged.findIndex((existing) => (existing as Record<string, Json>)[key] === name);
    if (at === -1) merged.push(item);
    else merged[at] = mergeProfile(merged[at], item);
  }
  return merged;
}

/** `overlay` laid over `base` (neither is changed). */
export function mergeProfile(base: Json, overlay: Json): Json {
  if (Array.isArray(base) && Array.isArray(overlay)) return mergeLists(base, overlay);
  if (isRecord(base) && isRecord(overlay)) {
    const merged: Record<string, Json> = { ...base };
    for (const [key, value] of Object.entries(overlay)) merged[key] = key in base ? mergeProfile(base[key], value) : value;
    return merged;
  }
  return overlay;
}

/**
 * The raw scenario with profile `name` applied, or null when it has no such profile.
 * The result keeps the profile list (so the journal can say which variants exist) but a
 * profile cannot change the id or add profiles of its own.
 */
export function applyProfile(data: Json, name: string): Json | null {
  if (!isRecord(data) || !isRecord(data.profiles)) return null;
  const overlay = data.profiles[name];
  if (!isRecord(overlay)) return null;
  const { id: _id, profiles: _profiles, ...rest } = overlay;
  return mergeProfile(data, rest);
}

/** The profile names a raw scenario declares. */
export function profileNames(data: Json): string[] {
  return isRecord(data) && isRecord(data.profiles) ? Object.keys(data.profiles) : [];
}
