"""Creates the platform's state bucket, lock table and key in the emulator, as state-bootstrap would.

Used when the backend tests run on their own; the full end-to-end run applies the generated
state-bootstrap stack instead.
"""
import sys

import boto3

url = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=url)
if "acme-apps-platform-tfstate" not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket="acme-apps-platform-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_bucket_versioning(Bucket="acme-apps-platform-tfstate", VersioningConfiguration={"Status": "Enabled"})
kms = boto3.client("kms", endpoint_url=url)
if "alias/apps-platform/tfstate" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]:
    key = kms.create_key(Description="state")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/apps-platform/tfstate", TargetKeyId=key)
ddb = boto3.client("dynamodb", endpoint_url=url)
if "acme-apps-platform-tflock" not in ddb.list_tables()["TableNames"]:
    ddb.create_table(
        TableName="acme-apps-platform-tflock",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
print("state store ready")
