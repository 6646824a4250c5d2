// Policy routing rules (RTM_*RULE): struct fib_rule_hdr (linux/fib_rules.h) plus FRA_*
// attributes. `not` is FIB_RULE_INVERT in the header's flags; a table above 255 only fits in
// FRA_TABLE. Defaults and attribute order follow iproute2's ip/iprule.c.
import type { IpFamily, IpPrefix } from '../net/ip.js';
import { AF, FIB_RULE_INVERT, FRA, RULE_ACTIONS, RuleAction, RT_TABLE } from './constants.js';
import { afOf, checkPrefix, familyOfAf, prefixFromBytes } from './inet.js';
import { attributeMap, readString, readU32, readU8, WireWriter } from './wire.js';

export interface UidRange {
  start: number;
  end: number;
}

export interface RuleSpec {
  family: IpFamily;
  priority?: number;
  /** Source prefix (`from`). */
  from?: IpPrefix;
  /** Destination prefix (`to`). */
  to?: IpPrefix;
  fwmark?: number;
  /** Default (kernel): all bits when fwmark is set. */
  fwmask?: number;
  iifname?: string;
  oifname?: string;
  /** `not`: the rule matches packets that do NOT match its selectors. */
  invert?: boolean;
  /** Lookup table; implies action 'table'. */
  table?: number;
  /** Default: 'table' when a table is given. */
  action?: RuleAction;
  /** Reject lookup results whose prefix is this long or shorter (`suppress_prefixlength`). */
  suppressPrefixLength?: number;
  uidRange?: UidRange;
  /** FRA_PROTOCOL: who installed the rule (RTPROT_*). */
  protocol?: number;
}

export interface Rule {
  family: IpFamily;
  /** The kernel leaves out FRA_PRIORITY for priority 0 (the `local` rule). */
  priority: number;
  from?: IpPrefix;
  to?: IpPrefix;
  fwmark?: number;
  fwmask?: number;
  iifname?: string;
  oifname?: string;
  invert: boolean;
  table: number;
  action: RuleAction;
  suppressPrefixLength?: number;
  uidRange?: UidRange;
  protocol?: number;
  /** fib_rule_hdr flags (FIB_RULE_*). */
  flags: number;
}

const FIB_RULE_HDR_LEN = 12;
// The kernel reports "no suppress_prefixlength" as -1.
const NO_SUPPRESS = 0xffffffff;

function actionNumber(action: RuleAction): number {
  return RULE_ACTIONS.indexOf(action);
}

/** Body of RTM_NEWRULE (adding) or RTM_DELRULE (unset fields match any rule). */
export function ruleBody(spec: RuleSpec, adding: boolean): (w: WireWriter) => void {
  if (spec.family !== 4 && spec.family !== 6) throw new RangeError(`rule family must be 4 or 6, got ${String(spec.family)}`);
  if (spec.from) checkPrefix('rule from', spec.from, spec.family);
  if (spec.to) checkPrefix('rule to', spec.to, spec.family);
  if (spec.action !== undefined && !RULE_ACTIONS.includes(spec.action)) throw new RangeError(`unknown rule action ${String(spec.action)}`);
  const action = spec.action ?? (spec.table !== undefined || adding ? 'table' : undefined);
  const table = spec.table ?? (adding && action === 'table' ? RT_TABLE.MAIN : undefined);
  return (w) => {
    w.u8(afOf(spec.family)).u8(spec.to?.cidr ?? 0).u8(spec.from?.cidr ?? 0).u8(0);
    w.u8(table !== undefined && table < 256 ? table : RT_TABLE.UNSPEC).u8(0).u8(0);
    w.u8(action ? actionNumber(action) : 0);
    w.u32(spec.invert ? FIB_RULE_INVERT : 0);
    if (spec.from) w.attrBytes(FRA.SRC, spec.from.bytes);
    if (spec.to) w.attrBytes(FRA.DST, spec.to.bytes);
    if (spec.priority !== undefined) w.attrU32(FRA.PRIORITY, spec.priority);
    if (spec.fwmark !== undefined) w.attrU32(FRA.FWMARK, spec.fwmark);
    if (spec.fwmask !== undefined) w.attrU32(FRA.FWMASK, spec.fwmask);
    if (spec.iifname !== undefined) w.attrString(FRA.IIFNAME, spec.iifname);
    if (spec.oifname !== undefined) w.attrString(FRA.OIFNAME, spec.oifname);
    if (table !== undefined && table >= 256) w.attrU32(FRA.TABLE, table);
    if (spec.suppressPrefixLength !== undefined) w.attrU32(FRA.SUPPRESS_PREFIXLEN, spec.suppressPrefixLength);
    if (spec.uidRange) {
      const range = spec.uidRange;
      w.attr(FRA.UID_RANGE, (r) => r.u32(range.start).u32(range.end));
    }
    if (spec.protocol !== undefined) w.attrU8(FRA.PROTOCOL, spec.protocol);
  };
}

export function ruleDumpBody(family?: IpFamily): (w: WireWriter) => void {
  return (w) => w.u8(family ? afOf(family) : AF.UNSPEC).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
}

/** undefined for families other than IPv4/IPv6. */
export function decodeRule(payload: Uint8Array): Rule | undefined {
  if (payload.length < FIB_RULE_HDR_LEN) throw new Error('netlink: truncated fib_rule_hdr');
  const family = familyOfAf(payload[0]);
  if (!family) return undefined;
  const flags = readU32(payload, 8);
  const attrs = attributeMap(payload.subarray(FIB_RULE_HDR_LEN));
  const table = attrs.get(FRA.TABLE);
  const rule: Rule = {
    family,
    priority: 0,
    invert: (flags & FIB_RULE_INVERT) !== 0,
    table: table ? readU32(table) : payload[4],
    action: (RULE_ACTIONS[payload[7]] ?? 'unspec') as RuleAction,
    flags,
  };
  const priority = attrs.get(FRA.PRIORITY);
  if (priority) rule.priority = readU32(priority);
  if (payload[2] > 0) rule.from = prefixFromBytes(family, attrs.get(FRA.SRC), payload[2]);
  if (payload[1] > 0) rule.to = prefixFromBytes(family, attrs.get(FRA.DST), payload[1]);
  const fwmark = attrs.get(FRA.FWMARK);
  if (fwmark) rule.fwmark = readU32(fwmark);
  const fwmask = attrs.get(FRA.FWMASK);
  if (fwmask) rule.fwmask = readU32(fwmask);
  const iif = attrs.get(FRA.IIFNAME);
  if (iif) rule.iifname = readString(iif);
  const oif = attrs.get(FRA.OIFNAME);
  if (oif) rule.oifname = readString(oif);
  const suppress = attrs.get(FRA.SUPPRESS_PREFIXLEN);
  if (suppress && readU32(suppress) !== NO_SUPPRESS) rule.suppressPrefixLength = readU32(suppress);
  const uid = attrs.get(FRA.UID_RANGE);
  if (uid) rule.uidRange = { start: readU32(uid), end: readU32(uid, 4) };
  const protocol = attrs.get(FRA.PROTOCOL);
  if (protocol) rule.protocol = readU8(protocol);
  return rule;
}
