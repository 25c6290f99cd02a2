import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters. N = 2^15, r = 8 uses 32 MiB per hash: slow for guessing, fine for one admin. */
const defaults = { N: 32_768, r: 8, p: 1 } as const;
const saltBytes = 16;
const hashBytes = 32;
/** Parameters read back from the database are bounded, so a corrupt row cannot make a login eat the heap. */
const maxN = 1 << 20;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  // Async scrypt runs on the libuv pool: the RTMP relay in the same process keeps running meanwhile.
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function memoryFor(N: number, r: number): number {
  return 128 * N * r + 1024 * 1024;
}

/** Hashes a password as `scrypt$N$r$p$salt$hash` (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltBytes);
  const { N, r, p } = defaults;
  const hash = await scryptAsync(password, salt, hashBytes, { N, r, p, maxmem: memoryFor(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Checks a password against a stored `scrypt$…` string in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > maxN || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  try {
    const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: memoryFor(N, r) });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}
