// STUB: replaced by the POST-object helper (issue 4).
import type { PostObjectInput } from './post-object-types.ts';
import { S3Error } from './s3-errors.ts';

export async function handlePostObject(_input: PostObjectInput): Promise<void> {
  throw new S3Error('NotImplemented', { message: 'signet does not implement browser POST uploads yet.' });
}
