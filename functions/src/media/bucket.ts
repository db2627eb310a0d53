/** The media bucket (MEDIA_BUCKET, else the project's default `<project>.firebasestorage.app`). */
import { AppError } from '@wasync/shared';
import { getStorage } from 'firebase-admin/storage';
import { config } from '../config.js';
import { adminApp } from '../firebase.js';

export type Bucket = ReturnType<ReturnType<typeof getStorage>['bucket']>;

export function mediaBucketName(): string {
  const project = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT;
  const name = config().mediaBucket ?? (project ? `${project}.firebasestorage.app` : undefined);
  if (!name) throw new AppError('internal', 'no media bucket: set MEDIA_BUCKET');
  return name;
}

export function mediaBucket(): Bucket {
  return getStorage(adminApp()).bucket(mediaBucketName());
}
