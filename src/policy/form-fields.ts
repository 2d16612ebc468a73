/**
 * POST form field names are case-insensitive (reference §5.1: `kEy`, `$KeY`), and a name sent
 * twice is seen by the policy as its values joined with ',' ([S3-V2FORM]'s
 * "Ninja,Stallman"). The HTTP layer already hands over lower-case names; this makes the pure
 * functions hold to the same rule whatever they are given.
 */
export function normalizeFormFields(fields: ReadonlyMap<string, string>): Map<string, string> {
  const normalized = new Map<string, string>();
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    const previous = normalized.get(lower);
    normalized.set(lower, previous === undefined ? value : `${previous},${value}`);
  }
  return normalized;
}
