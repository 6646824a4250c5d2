// Netlink message framing: splitting datagrams into messages, and NLMSG_ERROR acks with the
// kernel's extended ack (linux/netlink.h: struct nlmsgerr, enum nlmsgerr_attrs).
import { NLM_F, NLMSG, NLMSGERR_ATTR, messageTypeName } from './constants.js';
import { errnoName, errnoText } from './errno.js';
import { align4, attributeMap, HOST_LE, NLMSG_HDRLEN, readS32, readString, readU32 } from './wire.js';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The body after the 16-byte header, a view into the datagram. */
  payload: Uint8Array;
}

export function splitMessages(datagram: Uint8Array): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  let off = 0;
  while (off + NLMSG_HDRLEN <= datagram.length) {
    const len = view.getUint32(off, HOST_LE);
    if (len < NLMSG_HDRLEN || off + len > datagram.length) {
      throw new Error(`netlink: malformed message (length ${len}) at offset ${off} of ${datagram.length}`);
    }
    out.push({
      type: view.getUint16(off + 4, HOST_LE),
      flags: view.getUint16(off + 6, HOST_LE),
      seq: view.getUint32(off + 8, HOST_LE),
      pid: view.getUint32(off + 12, HOST_LE),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface NetlinkAck {
  /** 0 for success, else a positive errno. */
  errno: number;
  /** The type of the request this answers (from the echoed header). */
  requestType: number;
  /** The kernel's explanation (NLMSGERR_ATTR_MSG), when it gave one. */
  extAck?: string;
  /** Byte offset into the request of the attribute at fault (NLMSGERR_ATTR_OFFS). */
  extAckOffset?: number;
}

/** Decodes an NLMSG_ERROR body (also the ack for success) or an NLMSG_DONE body. */
export function parseAck(message: NetlinkMessage): NetlinkAck {
  const p = message.payload;
  if (p.length < 4) throw new Error('netlink: truncated error message');
  const code = readS32(p);
  const errno = code === 0 ? 0 : -code;
  const ack: NetlinkAck = { errno, requestType: 0 };
  let tlvStart = 4;
  if (message.type === NLMSG.ERROR && p.length >= 4 + NLMSG_HDRLEN) {
    ack.requestType = new DataView(p.buffer, p.byteOffset + 8, 2).getUint16(0, HOST_LE);
    // The echoed request is the header alone when capped, else the whole request.
    const echoedLen = message.flags & NLM_F.CAPPED ? NLMSG_HDRLEN : readU32(p, 4);
    tlvStart = 4 + align4(echoedLen);
  }
  if (message.flags & NLM_F.ACK_TLVS && tlvStart < p.length) {
    const tlvs = attributeMap(p.subarray(tlvStart));
    const msg = tlvs.get(NLMSGERR_ATTR.MSG);
    if (msg) ack.extAck = readString(msg);
    const offs = tlvs.get(NLMSGERR_ATTR.OFFS);
    if (offs) ack.extAckOffset = readU32(offs);
  }
  return ack;
}

/** A request the kernel refused: "RTM_NEWROUTE: File exists (EEXIST)", plus its explanation. */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly request: string;
  readonly extAck: string | undefined;

  constructor(requestType: number, errno: number, extAck?: string) {
    const request = messageTypeName(requestType);
    const code = errnoName(errno);
    super(`${request}: ${errnoText(errno)} (${code})${extAck ? `: ${extAck}` : ''}`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    this.request = request;
    this.extAck = extAck;
  }
}
