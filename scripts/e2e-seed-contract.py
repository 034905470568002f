"""Copies one stage's environment contract to another stage's names in the emulator.

The emulator is one account, so only environment-dev is applied; an onboarding stack of a service in
dev and prod reads both contracts when it plans. The copy stands in for environment-prod's.
"""
import sys

import boto3

url, source, target = sys.argv[1:4]
ssm = boto3.client("ssm", endpoint_url=url)
prefix = f"/apps-platform/{source}/"
for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix, Recursive=False):
    for p in page["Parameters"]:
        name = f"/apps-platform/{target}/{p['Name'][len(prefix):]}"
        ssm.put_parameter(Name=name, Value=p["Value"], Type=p["Type"], Overwrite=True)
        print(name)
