// A view of a client object with some members replaced, leaving the caller's client untouched: the guards return
// views, so the unguarded client keeps working as it was and everything the guard does not replace reads through.

/** Each replaced member is computed on read, so a view can point at a view built after it. */
export type Members = Map<PropertyKey, () => unknown>;

/**
 * `bindMethods`: functions read through the view are bound to the original object. Needed for a client class with
 * `#private` fields (a method called on a Proxy of it would throw); not wanted for the resources, whose helpers
 * (`stream()`, `parse()`) must call `this.create` — the guarded one — through the view.
 */
export function overlay<T extends object>(target: T, members: Members, bindMethods: boolean): T {
  const bound = new WeakMap<object, unknown>();
  return new Proxy(target, {
    get(object, key, receiver) {
      const member = members.get(key);
      if (member) return member();
      if (!bindMethods) return Reflect.get(object, key, receiver);
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      let method = bound.get(value);
      if (method === undefined) {
        method = value.bind(object);
        bound.set(value, method);
      }
      return method;
    },
    has(object, key) {
      return members.has(key) || Reflect.has(object, key);
    },
  });
}
