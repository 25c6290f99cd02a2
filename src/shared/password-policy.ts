/**
 * The admin password rule, declared once: the API (`POST /api/auth/password`), the start-up password
 * (`RESTREAM_ADMIN_PASSWORD`) and the dashboard's hint (held to it by the compiler through
 * `MinPasswordLength` in the API's DTOs) all use it.
 */

/** Fewest characters an admin password may have, spaces at either end not counted. */
export const minPasswordLength = 12;

/** Longest admin password accepted (scrypt hashes whatever it is given; keep that bounded). */
export const maxPasswordLength = 1024;

/** Why `password` is not acceptable as the admin password, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  if (password.trim().length < minPasswordLength)
    return `must have at least ${minPasswordLength} characters besides spaces`;
  if (password.length > maxPasswordLength) return `must have at most ${maxPasswordLength} characters`;
  return undefined;
}
