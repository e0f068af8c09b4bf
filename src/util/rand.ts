// Upstream's k8s.io/apimachinery/pkg/util/rand: generated names and hashes use an alphabet without
// vowels (no accidental words) and without look-alike characters (0/o, 1/l, 3/e).
export const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** n random characters of the alphabet (rand.String): generateName suffixes */
export function randomString(n: number, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphanums[Math.floor(random() * alphanums.length)];
  return s;
}

/** rand.SafeEncodeString: each byte to a character of the alphabet (pod-template-hash and revision hashes) */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += alphanums[b % alphanums.length];
  return out;
}
