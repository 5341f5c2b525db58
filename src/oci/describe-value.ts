// How a JSON value is named in an error message: short, and enough to find it in the file.

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export function withArticle(jsonType: string): string {
  return /^[aeiou]/.test(jsonType) ? `an ${jsonType}` : `a ${jsonType}`;
}
