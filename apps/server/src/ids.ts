// Object ids: a type prefix and 22 random base62 characters (~131 bits), e.g. evt_4ZfN0c...
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export type IdPrefix = 'cus' | 'usr' | 'key' | 'agt' | 'evt' | 'rsv';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(22)}`;
}
