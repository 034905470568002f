import { renderHcl, repairHcl } from "../src/hcl";
import { formatHcl } from "../src/hcl-format";
import { renderPolicyDocuments } from "../src/hcl-policy";

describe("the HCL repair of CDKTF's renderer output", () => {
  it("escapes the literal quotes of a string that mixes text and references", () => {
    const broken = 'resource "x" "y" {\npolicy = "{"Resource":"${aws_s3_bucket.b.arn}/*","Sid":"A"}"\n}';
    expect(repairHcl(broken)).toBe('resource "x" "y" {\n  policy = "{\\"Resource\\":\\"${aws_s3_bucket.b.arn}/*\\",\\"Sid\\":\\"A\\"}"\n}');
  });

  it("leaves strings alone that are already escaped or whose quotes sit inside an interpolation", () => {
    const ok = 'a = "say \\"hi\\""\nb = "${join(",", [x.id, y.id])}"\nc = "${terraform.workspace == "dev"}"';
    expect(repairHcl(ok)).toBe(ok);
  });

  it("turns precondition lists into blocks", () => {
    const broken = ["lifecycle {", "precondition = [", "{", 'condition = "${true}"', 'error_message = "m"', "},", "]", "}"].join("\n");
    expect(repairHcl(broken)).toBe(["lifecycle {", "  precondition {", '    condition = "${true}"', '    error_message = "m"', "  }", "}"].join("\n"));
  });

  it("unquotes depends_on references", () => {
    expect(repairHcl('depends_on = [\n"aws_internet_gateway.igw",\n]')).toBe("depends_on = [\n  aws_internet_gateway.igw,\n]");
  });

  it("unquotes provider references", () => {
    expect(repairHcl('resource "a" "b" {\nprovider = "aws.stage_dev"\n}')).toBe('resource "a" "b" {\n  provider = aws.stage_dev\n}');
  });

  it("keeps braces and quotes of strings inside an interpolation while escaping the literal parts", () => {
    const broken = 'policy = "{"a":"${replace(aws_x.y.arn, "}", "")}"}"';
    expect(repairHcl(broken)).toBe('policy = "{\\"a\\":\\"${replace(aws_x.y.arn, "}", "")}\\"}"');
  });

  it("leaves a nested attribute called provider alone", () => {
    const nested = 'resource "a" "b" {\nblk {\nprovider = "cognito.idp"\n}\n}';
    expect(repairHcl(nested)).toBe('resource "a" "b" {\n  blk {\n    provider = "cognito.idp"\n  }\n}');
  });

  it("keeps heredoc bodies byte for byte", () => {
    const heredoc = 'x = <<EOF\n  {"a": "b"}\n    indented\nEOF\ny = 1';
    expect(repairHcl(heredoc)).toBe(heredoc);
  });
});

describe("the formatter of the generated HCL (terraform fmt's rules)", () => {
  it("aligns the = of consecutive one-line attributes, per run", () => {
    const input = ['resource "a" "b" {', "name = 1", "description = 2", "tags = {", "app = 1", "managedBy = 2", "}", "x = 3", "}"].join("\n");
    expect(formatHcl(input)).toBe(
      ['resource "a" "b" {', "  name        = 1", "  description = 2", "  tags = {", "    app       = 1", "    managedBy = 2", "  }", "  x = 3", "}", ""].join("\n"),
    );
  });

  it("ends a run of aligned attributes at a blank line, a comment line and a line that opens a bracket", () => {
    const input = ["a = 1", "bbbb = 2", "", "cc = 3", "# note", "d = 4", "list = [", '"x",', "]", "eeeee = 5"].join("\n");
    expect(formatHcl(input, { keepBlankLines: true })).toBe(["a    = 1", "bbbb = 2", "", "cc = 3", "# note", "d = 4", "list = [", '  "x",', "]", "eeeee = 5", ""].join("\n"));
  });

  it("indents two spaces per open bracket, counting a line that opens two as one level", () => {
    const input = ['resource "a" "b" {', "policy = jsonencode({", "Statement = [", "{", 'Sid = "A"', "},", "]", "})", "}"].join("\n");
    expect(formatHcl(input)).toBe(['resource "a" "b" {', "  policy = jsonencode({", "    Statement = [", "      {", '        Sid = "A"', "      },", "    ]", "  })", "}", ""].join("\n"));
  });

  it('unwraps an attribute whose whole value is one interpolation, as fmt does, but not inside objects, lists or longer templates', () => {
    const input = ['resource "a" "b" {', 'role = "${aws_iam_role.r.arn}"', 'name = "${var.x}-y"', 'two = "${a.b}${c.d}"', "input = {", 'w = "${terraform.workspace}"', "}", "list = [", '"${a.b}",', "]", "}"].join("\n");
    expect(formatHcl(input)).toBe(
      [
        'resource "a" "b" {',
        "  role = aws_iam_role.r.arn",
        '  name = "${var.x}-y"',
        '  two  = "${a.b}${c.d}"',
        "  input = {",
        '    w = "${terraform.workspace}"',
        "  }",
        "  list = [",
        '    "${a.b}",',
        "  ]",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("respaces tokens: around operators, after commas, none inside brackets, around a conditional", () => {
    const input = 'x = "${a==b?f( 1,2 ):c [0]}"';
    expect(formatHcl(input)).toBe("x = a == b ? f(1, 2) : c[0]\n");
  });

  it("copies a heredoc byte for byte and aligns its = with the attributes around it", () => {
    const input = ["static {", 'description = "x"', "statement = <<EOF", "  permit (principal, action, resource)", "", "when { x = 1 };", "EOF", "}"].join("\n");
    expect(formatHcl(input)).toBe(["static {", '  description = "x"', "  statement   = <<EOF", "  permit (principal, action, resource)", "", "when { x = 1 };", "EOF", "}", ""].join("\n"));
  });

  it("keeps one blank line between top-level blocks and drops the others", () => {
    const input = ["# header", "terraform {", "", "a = 1", "", "}", 'resource "a" "b" {', "}", "", "", 'output "o" {', 'value = "v"', "}"].join("\n");
    expect(formatHcl(input)).toBe(["# header", "", "terraform {", "  a = 1", "}", "", 'resource "a" "b" {', "}", "", 'output "o" {', '  value = "v"', "}", ""].join("\n"));
  });

  it("aligns comments after code and indents comment lines", () => {
    const input = ['resource "a" "b" {', "# checkov:skip=CKV_1: why", "a = 1 # one", "bbb = 2 # two", "}"].join("\n");
    expect(formatHcl(input)).toBe(['resource "a" "b" {', "  # checkov:skip=CKV_1: why", "  a   = 1 # one", "  bbb = 2 # two", "}", ""].join("\n"));
  });

  it("refuses a template sequence the text ends inside of, naming it", () => {
    expect(() => formatHcl('x = "%{#"')).toThrow(/unterminated template sequence at line 1/);
    expect(() => formatHcl('x = 1\ny = "${a.b')).toThrow(/unterminated template sequence at line 2/);
  });

  it("rewrites a variable's legacy quoted type as fmt does", () => {
    expect(formatHcl('variable "v" {\ntype = "string"\n}')).toBe('variable "v" {\n  type = string\n}\n');
    expect(formatHcl('variable "v" {\ntype = list\n}')).toBe('variable "v" {\n  type = list(any)\n}\n');
  });

  it("is a fixed point: formatting its own output changes nothing", () => {
    const input = ['resource "a" "b" {', "policy = jsonencode({", 'Version = "2012-10-17"', "Statement = [", "{", 'Effect = "Allow"', "Action = [", '"s3:GetObject",', "]", "},", "]", "})", 'name = "${var.n}"', "}"].join("\n");
    const once = formatHcl(input);
    expect(formatHcl(once)).toBe(once);
  });
});

describe("policy documents as jsonencode objects", () => {
  it("writes one statement per block, one action and resource per line, references as expressions, keys in their order", () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Read", Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"] },
        { Sid: "Trust", Effect: "Allow", Principal: { Federated: "${aws_iam_openid_connect_provider.gitlab.arn}" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringLike: { "gitlab.com:sub": ["project_path:a/b:ref_type:branch:ref:main"] }, NumericLessThan: { "aws:MultiFactorAuthAge": 3600 }, Bool: { "aws:SecureTransport": false } } },
      ],
    };
    const cdktf = `resource "aws_iam_policy" "p" {\nname = "n"\npolicy = "${JSON.stringify(doc).replace(/"/g, '\\"')}"\n}`;
    expect(renderHcl(cdktf)).toBe(
      [
        'resource "aws_iam_policy" "p" {',
        '  name = "n"',
        "  policy = jsonencode({",
        '    Version = "2012-10-17"',
        "    Statement = [",
        "      {",
        '        Sid    = "Read"',
        '        Effect = "Allow"',
        "        Action = [",
        '          "s3:GetObject",',
        '          "s3:ListBucket",',
        "        ]",
        "        Resource = [",
        "          aws_s3_bucket.b.arn,",
        '          "${aws_s3_bucket.b.arn}/*",',
        "        ]",
        "      },",
        "      {",
        '        Sid    = "Trust"',
        '        Effect = "Allow"',
        "        Principal = {",
        "          Federated = aws_iam_openid_connect_provider.gitlab.arn",
        "        }",
        '        Action = "sts:AssumeRoleWithWebIdentity"',
        "        Condition = {",
        "          StringLike = {",
        '            "gitlab.com:sub" = [',
        '              "project_path:a/b:ref_type:branch:ref:main",',
        "            ]",
        "          }",
        "          NumericLessThan = {",
        '            "aws:MultiFactorAuthAge" = 3600',
        "          }",
        "          Bool = {",
        '            "aws:SecureTransport" = false',
        "          }",
        "        }",
        "      },",
        "    ]",
        "  })",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps escapes: a policy variable stays literal, quotes and backslashes stay escaped, a referenced key is parenthesized", () => {
    const doc = {
      Statement: [
        {
          Resource: "arn:aws:s3:::b/@@{aws:username}/*",
          Sid: 'say "hi" \\ ',
          Condition: { StringEquals: { "${aws_iam_openid_connect_provider.p.url}": "x", "${aws_iam_openid_connect_provider.p.url}:sub": "y" } },
        },
      ],
    };
    // As CDKTF writes it: JSON text in an HCL string, the policy variable escaped as `$${`.
    const body = JSON.stringify(doc).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/@@\{/g, () => "$${");
    expect(renderPolicyDocuments(`policy = "${body}"`).split("\n")).toEqual([
      "policy = jsonencode({",
      "Statement = [",
      "{",
      'Resource = "arn:aws:s3:::b/$${aws:username}/*"',
      String.raw`Sid = "say \"hi\" \\ "`,
      "Condition = {",
      "StringEquals = {",
      '(aws_iam_openid_connect_provider.p.url) = "x"',
      '"${aws_iam_openid_connect_provider.p.url}:sub" = "y"',
      "}",
      "}",
      "},",
      "]",
      "})",
    ]);
  });

  it("leaves alone what it cannot render as it was: not JSON, a directive, a reference outside a string, a duplicate key, another attribute", () => {
    for (const line of [
      'policy = "not json"',
      'policy = "{\\"a\\":\\"%{if x}y%{endif}\\"}"',
      'policy = "{\\"a\\":${jsonencode(var.x)}}"',
      'policy = "{\\"a\\":1,\\"a\\":2}"',
      'item = "{\\"a\\":1}"',
    ]) {
      expect(renderPolicyDocuments(line)).toBe(line);
    }
  });

  it("writes back the terraform block's required_version, which CDKTF renders by name only", () => {
    const cdktf = ["terraform {", "required_providers {", 'aws = {', 'version = "6.25.0"', "}", "}", "", '0 = "required_version"', "}"].join("\n");
    expect(renderHcl(cdktf, { terraformSettings: { required_version: ">= 1.11, < 2.0" } })).toBe(
      ["terraform {", '  required_version = ">= 1.11, < 2.0"', "  required_providers {", "    aws = {", '      version = "6.25.0"', "    }", "  }", "}", ""].join("\n"),
    );
    expect(() => repairHcl(cdktf)).toThrow("the terraform block's required_version has no value to write");
  });
});
