// Helpers for the strategy tests: run the store's sequence and render errors as upstream does.
import { fieldErrorMessage, type FieldError } from '../../../api/status.js';
import type { KObject } from '../../../api/types.js';
import type { Strategy } from '../strategy.js';

export function create(s: Strategy, o: KObject, uid = '11111111-2222-3333-4444-555555555555'): { obj: KObject; errors: string[] } {
  const obj = structuredClone(o);
  obj.metadata.uid ??= uid;
  s.defaults?.(obj);
  s.prepareForCreate?.(obj);
  return { obj, errors: (s.validate?.(obj) ?? []).map(fieldErrorMessage) };
}

export function update(s: Strategy, o: KObject, old: KObject): { obj: KObject; errors: string[] } {
  const obj = structuredClone(o);
  s.defaults?.(obj);
  s.prepareForUpdate?.(obj, old);
  const errs: FieldError[] = [...(s.validate?.(obj) ?? []), ...(s.validateUpdate?.(obj, old) ?? [])];
  return { obj, errors: errs.map(fieldErrorMessage) };
}
