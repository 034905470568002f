#!/usr/bin/env python3
"""Prepares a copy of the AWS provider's source to build with only the service packages this project's
Terraform uses.

The provider registers its ~265 service packages in one generated file
(internal/provider/sdkv2/service_packages_gen.go), and one more generated file
(internal/conns/awsclient_gen.go) imports the AWS SDK client of every service. Compiling all of it is
about 35 minutes on two cores. The generated code of this project uses some 80 resource and data source
types from about 25 of those packages, so the test mirror's provider is built from those only: the
same source, the same schema for every type it has, and a clear "does not support resource type" from
Terraform for any other type.

Usage:
  aws-provider-services.py list <provider source> <project root>
      prints the service packages the project's types need, on one line; exits non-zero naming any
      type that no package of the provider registers
  aws-provider-services.py trim <writable copy of the provider source> <package>...
      rewrites the copy to register only those packages and to import only the SDK clients they reach
"""
import os
import re
import sys

MODULE = "github.com/hashicorp/terraform-provider-aws"

# The resource and data source types the project can write: every provider binding its TypeScript
# imports (`@cdktf/provider-aws/lib/apprunner-service`, `.../data-aws-availability-zones`), and every
# `resource "aws_..."` / `data "aws_..."` block in the HCL its scripts and tests write by hand.
SCAN = ["src", "stacks", "packages", "templates", "scripts", "test", "tools", "bench", "ci"]
BINDING = re.compile(r"@cdktf/provider-aws/lib/([a-z0-9-]+)")
BLOCK = re.compile(r'\b(resource|data)\s+"(aws_[a-z0-9_]+)"')


def project_types(root):
    types = {}
    for top in SCAN:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d not in ("node_modules", "dist", "cdktf.out", ".gen", "coverage")]
            for name in filenames:
                if not name.endswith((".ts", ".tsx", ".js", ".sh", ".tf", ".py", ".yml", ".yaml")):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    text = open(path, encoding="utf-8").read()
                except (UnicodeDecodeError, OSError):
                    continue
                for binding in BINDING.findall(text):
                    if binding in ("provider", "index"):
                        continue
                    rest = binding[len("data-aws-"):] if binding.startswith("data-aws-") else binding
                    types.setdefault("aws_" + rest.replace("-", "_"), os.path.relpath(path, root))
                for _kind, type_name in BLOCK.findall(text):
                    types.setdefault(type_name, os.path.relpath(path, root))
    return types


def registrations(src):
    """From each service package's generated registration: type name -> package, and names constant
    (names.S3Control) -> the package that answers to it (s3control)."""
    types, names = {}, {}
    service_root = os.path.join(src, "internal", "service")
    for pkg in sorted(os.listdir(service_root)):
        gen = os.path.join(service_root, pkg, "service_package_gen.go")
        if not os.path.exists(gen):
            continue
        text = open(gen, encoding="utf-8").read()
        for type_name in re.findall(r'TypeName:\s+"(aws_[a-z0-9_]+)"', text):
            types.setdefault(type_name, pkg)
        m = re.search(r"ServicePackageName\(\) string \{\n\s*return names\.(\w+)", text)
        if m:
            names[m.group(1)] = pkg
    return types, names


def imports_of(directory, skip=None):
    """The module's own packages the non-test Go files of a directory import."""
    out = set()
    for name in os.listdir(directory):
        if not name.endswith(".go") or name.endswith("_test.go") or name == skip:
            continue
        text = open(os.path.join(directory, name), encoding="utf-8").read()
        for block in re.findall(r"^import\s*\((.*?)^\)", text, re.S | re.M):
            out.update(re.findall(r'"' + re.escape(MODULE) + r'/([^"]+)"', block))
        out.update(re.findall(r'^import\s+(?:\w+\s+)?"' + re.escape(MODULE) + r'/([^"]+)"', text, re.M))
    return out


REGISTRY = "internal/provider/sdkv2"


def closure(src, packages):
    """Every package of the module the main package reaches through its imports, with the provider
    registering `packages` (the registry's own import list is replaced by them)."""
    seen, todo = set(), [""]
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        directory = os.path.join(src, pkg) if pkg else src
        if not os.path.isdir(directory):
            continue
        found = imports_of(directory, skip="service_packages_gen.go" if pkg == REGISTRY else None)
        if pkg == REGISTRY:
            found |= {f"internal/service/{p}" for p in packages}
        todo.extend(found - seen)
    return seen


def client_methods(src):
    """AWSClient's generated client getters: method name -> (SDK package alias, names constant)."""
    text = open(os.path.join(src, "internal", "conns", "awsclient_gen.go"), encoding="utf-8").read()
    return {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(r"^func \(c \*AWSClient\) (\w+Client)\(ctx context\.Context\) \*(\w+)\.Client \{\n\s*return errs\.Must\(client\[\*\w+\.Client\]\(ctx, c, names\.(\w+),", text, re.M)
    }


def called_clients(src, packages):
    """The client getters the compiled packages call."""
    methods = client_methods(src)
    called = set()
    for pkg in closure(src, packages):
        if pkg == "internal/conns":
            continue
        directory = os.path.join(src, pkg)
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if name.endswith(".go") and not name.endswith("_test.go"):
                called.update(m for m in re.findall(r"\.(\w+Client)\(", open(os.path.join(directory, name), encoding="utf-8").read()) if m in methods)
    return called


def with_client_packages(src, packages):
    """`packages` and, until nothing is added, the service package of every SDK client their code asks
    the AWSClient for: the client is made by its package's factory, so a package whose client is
    called but which is not registered fails at apply ("unknown service package: s3control", from the
    s3 package's tag listing)."""
    methods, owner = client_methods(src), registrations(src)[1]
    packages = set(packages)
    while True:
        more = {owner[methods[m][1]] for m in called_clients(src, packages) if methods[m][1] in owner} - packages
        if not more:
            return sorted(packages)
        packages |= more


def needed(src, root):
    wanted = project_types(root)
    owner = registrations(src)[0]
    unknown = sorted(t for t in wanted if t not in owner)
    if unknown:
        for t in unknown:
            print(f"aws-provider-services: {t} (seen in {wanted[t]}) is no resource or data source type of this provider", file=sys.stderr)
        sys.exit(1)
    return with_client_packages(src, {owner[t] for t in wanted})


def trim(src, packages):
    known = set(os.listdir(os.path.join(src, "internal", "service")))
    missing = [p for p in packages if p not in known]
    if missing:
        sys.exit(f"aws-provider-services: no service package {', '.join(missing)} in {src}")
    # 1. Register only those service packages.
    reg = os.path.join(src, "internal", "provider", "sdkv2", "service_packages_gen.go")
    text = open(reg, encoding="utf-8").read()
    head = text[: text.index("import (")]
    imports = "\n".join(f'\t"{MODULE}/internal/service/{p}"' for p in packages)
    calls = "\n".join(f"\t\t{p}.ServicePackage(ctx)," for p in packages)
    open(reg, "w", encoding="utf-8").write(
        head
        + f'import (\n\t"context"\n\t"slices"\n\n\t"{MODULE}/internal/conns"\n{imports}\n)\n\n'
        + "func servicePackages(ctx context.Context) []conns.ServicePackage {\n\tv := []conns.ServicePackage{\n"
        + calls
        + "\n\t}\n\n\treturn slices.Clone(v)\n}\n"
    )

    # 2. Keep only the SDK clients some compiled package asks the AWSClient for.
    called = called_clients(src, packages)
    owner, methods = registrations(src)[1], client_methods(src)
    unregistered = sorted({owner.get(methods[m][1], m) for m in called} - set(packages))
    if unregistered:
        sys.exit(f"aws-provider-services: the code of these packages calls the clients of {', '.join(unregistered)}, which are not among them: list them too (the list command does)")
    gen = os.path.join(src, "internal", "conns", "awsclient_gen.go")
    text = open(gen, encoding="utf-8").read()
    method = re.compile(r"^func \(c \*AWSClient\) (\w+Client)\(ctx context\.Context\) \*(\w+)\.Client \{\n.*?\n\}\n\n?", re.S | re.M)
    kept_aliases = set()

    def keep(m):
        if m.group(1) in called:
            kept_aliases.add(m.group(2))
            return m.group(0)
        return ""

    body = method.sub(keep, text)

    def keep_import(m):
        alias = m.group(1).rsplit("/", 1)[-1]
        return m.group(0) if alias in kept_aliases else ""

    body = re.sub(r'^\t"github\.com/aws/aws-sdk-go-v2/service/([a-z0-9]+)"\n', keep_import, body, flags=re.M)
    open(gen, "w", encoding="utf-8").write(body)


if len(sys.argv) >= 4 and sys.argv[1] == "list":
    print(" ".join(needed(sys.argv[2], sys.argv[3])))
elif len(sys.argv) >= 4 and sys.argv[1] == "trim":
    trim(sys.argv[2], sys.argv[3:])
else:
    sys.exit(__doc__)
