export { FileObjectStore } from './file-store.ts';
export { S3ObjectStore } from './s3-store.ts';
export {
  assertValidKey,
  ObjectLengthMismatchError,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store.ts';
export { openObjectStore, type S3Settings } from './open-object-store.ts';
