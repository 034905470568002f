import { repairHcl } from "../src/hcl";

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
