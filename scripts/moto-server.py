"""The AWS emulator of the end-to-end tests: moto's server, with the gaps filled that the hashicorp/aws
6.x provider runs into (moto 5.2.5), so that the generated stacks apply and plan clean:

1. Application Auto Scaling has no ListTagsForResource/TagResource/UntagResource: the provider reads
   the tags of every aws_appautoscaling_target and retries on moto's HTTP 500 until it times out.
   Tags are kept here, per account and Region, including those sent with RegisterScalableTarget.
2. S3 CreateBucket ignores the <Tags> of CreateBucketConfiguration, which the provider uses to tag a
   new bucket; they are stored as bucket tags.
3. ECS CreateService drops parameters moto's Service lacks (healthCheckGracePeriodSeconds,
   enableECSManagedTags, ...); they are kept as given.
4. RDS returns an empty ScalingConfigurationInfo for every cluster, which a Serverless v2 cluster
   would plan to add; it is left out unless one was given.
5. EC2 loses the description of a security group rule that references another group.
6. PutBucketLogging fails with an internal error when the target bucket's policy has a statement
   with `"Principal": "*"` (a TLS-only Deny): moto reads every principal as a map.
7. KMS EnableKeyRotation ignores RotationPeriodInDays and GetKeyRotationStatus leaves it out, so the
   provider waits for a period that never comes and every later plan changes it (0 -> 365); it is kept
   here and answered, 365 days (AWS's default) when none was given.
8. S3 bucket policies are evaluated without their conditions: moto ignores every operator but
   StringEquals and gives no condition keys, so each conditional Deny on s3:* (TLS only, "no tenant
   role", "only this service's CI roles") refuses every object request, whoever makes it. Here a bucket
   policy's statements are evaluated with aws:PrincipalArn (the caller: the role behind assumed-role
   keys, else the account's root) and aws:SecureTransport, which is "false" (plain HTTP) unless
   APPS_PLATFORM_EMULATOR_TLS=1 says the emulator stands in for AWS's HTTPS endpoints.
9. RDS CreateDBInstance drops the Performance Insights settings, so an Aurora instance that asks for
   them plans to turn them on again after every apply; they are kept as given.

Same arguments as moto_server (-H 127.0.0.1 -p PORT). scripts/moto.sh starts it.
"""
import json
import sys

import xmltodict
from moto.applicationautoscaling import responses as aas
from moto.s3 import responses as s3r
from moto.server import main
from moto.utilities.tagging_service import TaggingService

_AAS_TAGS: dict[tuple[str, str], TaggingService] = {}


def _aas_tagger(self: aas.ApplicationAutoScalingResponse) -> TaggingService:
    return _AAS_TAGS.setdefault((self.current_account, self.region), TaggingService())


def _tag(self, arn: str, tags: dict | None) -> None:
    if tags:
        _aas_tagger(self).tag_resource(arn, TaggingService.convert_dict_to_tags_input(tags))


def list_tags_for_resource(self) -> str:
    return json.dumps({"Tags": _aas_tagger(self).get_tag_dict_for_resource(self._get_param("ResourceARN"))})


def tag_resource(self) -> str:
    _tag(self, self._get_param("ResourceARN"), self._get_param("Tags"))
    return "{}"


def untag_resource(self) -> str:
    _aas_tagger(self).untag_resource_using_names(self._get_param("ResourceARN"), self._get_param("TagKeys") or [])
    return "{}"


_register = aas.ApplicationAutoScalingResponse.register_scalable_target


def register_scalable_target(self) -> str:
    body = _register(self)
    _tag(self, json.loads(body)["ScalableTargetARN"], self._get_param("Tags"))
    return body


aas.ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
aas.ApplicationAutoScalingResponse.tag_resource = tag_resource
aas.ApplicationAutoScalingResponse.untag_resource = untag_resource
aas.ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target

_bucket_put = s3r.S3Response._bucket_response_put


def _bucket_response_put(self, request, bucket_name, querystring):
    result = _bucket_put(self, request, bucket_name, querystring)
    if not querystring and self.body:
        try:
            tags = (xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}).get("Tags") or {}
        except Exception:  # noqa: BLE001 - not a CreateBucketConfiguration body
            tags = {}
        tag_list = tags.get("Tag") or []
        if isinstance(tag_list, dict):
            tag_list = [tag_list]
        if tag_list:
            self.backend.put_bucket_tagging(bucket_name, {t["Key"]: t.get("Value") or "" for t in tag_list})
    return result


s3r.S3Response._bucket_response_put = _bucket_response_put

from botocore import xform_name  # noqa: E402
from moto.ec2.models.security_groups import SecurityGroupRule  # noqa: E402
from moto.ecs import responses as ecsr  # noqa: E402
from moto.rds.models import DBCluster  # noqa: E402

_create_service = ecsr.EC2ContainerServiceResponse.create_service


def create_service(self):
    result = _create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for key, value in self._get_params().items():
        attr = xform_name(key)
        if value is not None and not hasattr(service, attr):
            setattr(service, attr, value)
    return result


ecsr.EC2ContainerServiceResponse.create_service = create_service

_scaling_info = DBCluster.scaling_configuration_info.fget
DBCluster.scaling_configuration_info = property(lambda self: _scaling_info(self) if self.scaling_configuration else None)

SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)

from moto.s3.models import FakeBucket  # noqa: E402

_log_policy = FakeBucket._log_permissions_enabled_policy


def _log_permissions_enabled_policy(target_bucket, target_prefix):
    policy = target_bucket.policy
    if not policy:
        return False
    document = json.loads(policy.decode())
    # Only statements whose principal is a map can name the logging service.
    kept = [st for st in document.get("Statement", []) if isinstance(st.get("Principal"), dict)]
    original = target_bucket.policy
    try:
        target_bucket.policy = json.dumps({**document, "Statement": kept}).encode()
        return _log_policy(target_bucket, target_prefix)
    finally:
        target_bucket.policy = original


FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)

from moto.kms import responses as kmsr  # noqa: E402

_ROTATION_DAYS: dict[tuple[str, str, str], int] = {}
_enable_rotation = kmsr.KmsResponse.enable_key_rotation
_rotation_status = kmsr.KmsResponse.get_key_rotation_status


def _rotation_key(self) -> tuple[str, str, str]:
    return (self.current_account, self.region, self.kms_backend.get_key_id(self._get_param("KeyId")))


def enable_key_rotation(self) -> str:
    result = _enable_rotation(self)
    _ROTATION_DAYS[_rotation_key(self)] = int(self._get_param("RotationPeriodInDays") or 365)
    return result


def get_key_rotation_status(self) -> str:
    body = json.loads(_rotation_status(self))
    if body.get("KeyRotationEnabled"):
        body["RotationPeriodInDays"] = _ROTATION_DAYS.get(_rotation_key(self), 365)
    return json.dumps(body)


kmsr.KmsResponse.enable_key_rotation = enable_key_rotation
kmsr.KmsResponse.get_key_rotation_status = get_key_rotation_status

import fnmatch  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402

from moto.iam.access_control import IAMPolicyStatement, PermissionResult  # noqa: E402
from moto.sts.models import sts_backends  # noqa: E402

_REQUEST = threading.local()
_SECURE = os.environ.get("APPS_PLATFORM_EMULATOR_TLS") == "1"
_setup_class = s3r.S3Response.setup_class


def setup_class(self, request, full_url=None, headers=None):
    given = request.headers if headers is None else headers
    m = re.search(r"Credential=([A-Za-z0-9]+)/", given.get("Authorization", "") if hasattr(given, "get") else "")
    _REQUEST.access_key = m.group(1) if m else None
    return _setup_class(self, request, full_url, headers)


s3r.S3Response.setup_class = setup_class


def _caller_arn(bucket: FakeBucket) -> str:
    key = getattr(_REQUEST, "access_key", None)
    if key:
        for _, regions in sts_backends.items():
            role = regions["global"].get_assumed_role_from_access_key(key) if "global" in regions else None
            if role:
                return role.role_arn
    return f"arn:{bucket.partition}:iam::{bucket.account_id}:root"


def _holds(condition: dict, values: dict) -> bool:
    for operator, entries in condition.items():
        for key, expected in entries.items():
            expected = [str(e) for e in (expected if isinstance(expected, list) else [expected])]
            actual = values.get(key)
            if actual is None:
                if not operator.endswith("IfExists"):
                    return False
                continue
            op = operator[: -len("IfExists")] if operator.endswith("IfExists") else operator
            if op == "Bool":
                ok = actual.lower() in [e.lower() for e in expected]
            elif op in ("StringEquals", "ArnEquals"):
                ok = actual in expected
            elif op in ("StringNotEquals", "ArnNotEquals"):
                ok = actual not in expected
            elif op in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, e) for e in expected)
            elif op in ("StringNotLike", "ArnNotLike"):
                ok = not any(fnmatch.fnmatchcase(actual, e) for e in expected)
            else:
                continue  # as moto does: an operator it cannot evaluate does not stop the statement
            if not ok:
                return False
    return True


def get_permission(self, action: str, resource: str):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy.decode()).get("Statement", [])
    values = {"aws:SecureTransport": "true" if _SECURE else "false", "aws:PrincipalArn": _caller_arn(self)}
    result = PermissionResult.NEUTRAL
    for statement in statements if isinstance(statements, list) else [statements]:
        if not _holds(statement.get("Condition") or {}, values):
            continue
        effect = IAMPolicyStatement({k: v for k, v in statement.items() if k != "Condition"}).is_action_permitted(action, resource)
        if effect == PermissionResult.DENIED:
            return effect
        if effect == PermissionResult.PERMITTED:
            result = effect
    return result


FakeBucket.get_permission = get_permission

from moto.rds.models import DBInstance  # noqa: E402

_PERFORMANCE_INSIGHTS = ("performance_insights_enabled", "performance_insights_kms_key_id", "performance_insights_retention_period")
_db_instance_init = DBInstance.__init__


def _db_instance_with_insights(self, *args, **kwargs):
    _db_instance_init(self, *args, **kwargs)
    if kwargs.get("enable_performance_insights") is not None:
        self.performance_insights_enabled = kwargs["enable_performance_insights"]
    for name in _PERFORMANCE_INSIGHTS:
        if kwargs.get(name) is not None:
            setattr(self, name, kwargs[name])


DBInstance.__init__ = _db_instance_with_insights

if __name__ == "__main__":
    sys.exit(main())
