import { AppError } from '../errors.ts';

/**
 * A preValidation hook that refuses an array body of more than `max` items.
 * It runs before schema validation, so a 50,000-item body is refused without
 * validating every item; every route that takes a batch shares it.
 */
export function tooManyItemsGuard(max: number) {
  return async (request: { body: unknown }) => {
    if (Array.isArray(request.body) && request.body.length > max) {
      throw new AppError('too_many_items', `A batch holds at most ${max} items; this one has ${request.body.length}`);
    }
  };
}
