#!/bin/sh
# Run once per `docker compose up` by the minio-init service (minio/mc image): the
# private evidence bucket, and the application's key limited to that bucket's objects.
# Idempotent: every step may run again on the next start.
set -eu

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$BUCKET"
# No anonymous access: nothing in the bucket has a public URL.
mc anonymous set none "local/$BUCKET"

cat > /tmp/antrean-evidence.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::$BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": ["arn:aws:s3:::$BUCKET/*"]}
  ]
}
POLICY
mc admin policy create local antrean-evidence /tmp/antrean-evidence.json
mc admin user add local "$APP_KEY" "$APP_SECRET"
mc admin policy attach local antrean-evidence --user "$APP_KEY" || true  # already attached
