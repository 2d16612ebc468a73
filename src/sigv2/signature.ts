/**
 * The SigV2 signature: base64(HMAC-SHA1(secret, UTF-8(StringToSign))) (reference s3-auth.md §4).
 *
 *   signV2("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
 *          "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg")
 *     = "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
 */
import { createHmac } from 'node:crypto';

export function signV2(secretAccessKey: string, stringToSign: string): string {
  return createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest('base64');
}
