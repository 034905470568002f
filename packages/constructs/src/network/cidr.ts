/**
 * IPv4 CIDR arithmetic for the VPC layout. Subnets are computed here, not with `cidrsubnet()` in
 * Terraform, so the plan shows literal CIDRs a reviewer can check and tests can assert.
 */

const MIN_VPC_PREFIX = 16; // AWS: a VPC CIDR is /16 to /28
const MAX_SUBNET_PREFIX = 28; // AWS: the smallest subnet is a /28

function parse(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { base, prefix };
}

function format(base: number, prefix: number): string {
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${prefix}`;
}

/** Why `cidr` cannot be a VPC CIDR, or undefined when it can. */
export function ipv4CidrProblem(cidr: string): string | undefined {
  const parsed = parse(cidr);
  if (!parsed) return "must be an IPv4 CIDR block such as 10.20.0.0/16";
  const { base, prefix } = parsed;
  if (prefix < MIN_VPC_PREFIX || prefix > MAX_SUBNET_PREFIX) {
    return `must have a prefix length between /${MIN_VPC_PREFIX} and /${MAX_SUBNET_PREFIX}`;
  }
  const hostBits = 32 - prefix;
  if (hostBits < 32 && (base & ((1 << hostBits) - 1)) !== 0) {
    const network = (base & ~((1 << hostBits) - 1)) >>> 0;
    return `must be a network address (host bits zero), e.g. ${format(network, prefix)}`;
  }
  return undefined;
}

/** The subnets' CIDR blocks of a VPC, one per AZ and tier. */
export interface SubnetLayout {
  /** The public subnets' blocks, in AZ order. */
  readonly public: string[];
  /** The private subnets' blocks, in AZ order. */
  readonly private: string[];
}

/**
 * Splits the VPC CIDR into equal blocks, the first `azCount` public and the next `azCount` private,
 * or returns undefined when the blocks would be smaller than a /28.
 */
export function subnetLayout(cidr: string, azCount: number): SubnetLayout | undefined {
  const parsed = parse(cidr);
  if (!parsed || azCount < 1) return undefined;
  const newBits = Math.ceil(Math.log2(2 * azCount));
  const prefix = parsed.prefix + newBits;
  if (prefix > MAX_SUBNET_PREFIX) return undefined;
  const size = 2 ** (32 - prefix);
  const block = (i: number) => format((parsed.base + i * size) >>> 0, prefix);
  return {
    public: Array.from({ length: azCount }, (_, i) => block(i)),
    private: Array.from({ length: azCount }, (_, i) => block(azCount + i)),
  };
}

export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return false;
  const prefix = Math.min(pa.prefix, pb.prefix);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((pa.base & mask) >>> 0) === ((pb.base & mask) >>> 0);
}
