// The signed-in user's role (docs/api.md §8). A viewer reads everything and changes nothing: the server refuses its
// writes (403), and the pages hide or disable the controls that would make them, so nothing offers what fails.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './types';

export type Role = Session['user']['role'];

export const RoleContext = createContext<Role>('viewer');

/** Whether the signed-in user may change things (owner or admin). */
export function useCanWrite(): boolean {
  return useContext(RoleContext) !== 'viewer';
}
