// gsoSplit and groCoalesce: the TUN offloads' pure halves (native/gso_split.h,
// native/gro_coalesce.h), and symmetricFlowHash, which picks a flow's device queue
// (native/ip_packet.h), for tests, which feed them hand-built and hostile packets. A
// virtio_net_hdr travels as its 10 bytes in the host's byte order, as the device has it.
#include <cstring>
#include <vector>

#include "binding/modules.h"
#include "binding/napi_args.h"
#include "ethernet.h"
#include "gro_coalesce.h"
#include "gso_split.h"
#include "ip_packet.h"

namespace viaguard::binding {

namespace {

size_t LinkLengthArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "linkLength must be a number");
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v != 0 && v != kEthernetHeaderSize) {
    throw Napi::RangeError::New(info.Env(), "linkLength must be 0 (TUN) or 14 (TAP)");
  }
  return static_cast<size_t>(v);
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

Napi::Uint8Array Copy(Napi::Env env, const uint8_t* data, size_t length) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, length);
  if (length > 0) std::memcpy(out.Data(), data, length);
  return out;
}

// gsoSplit(header: 10 bytes, packet, linkLength) -> { result, segments }. Segment 0 is cut in
// place, after the others, as the device reader does.
Napi::Value GsoSplit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ByteView headerBytes = BytesArg(info, 0, "header");
  if (headerBytes.size != kVirtioNetHeaderSize) {
    throw Napi::RangeError::New(env, "header must be 10 bytes");
  }
  ByteView packet = BytesArg(info, 1, "packet");
  size_t linkLength = LinkLengthArg(info, 2);
  VirtioNetHeader header;
  std::memcpy(&header, headerBytes.data, sizeof header);
  std::vector<uint8_t> work(packet.data, packet.data + packet.size);
  GsoPlan plan;
  PlanResult result = PlanSegments(header, work.data(), work.size(), linkLength, &plan);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array segments = Napi::Array::New(env);
  out.Set("segments", segments);
  if (result != PlanResult::kOk) {
    out.Set("result", result == PlanResult::kBadHeader ? "badHeader" : "badPacket");
    return out;
  }
  out.Set("result", "ok");
  if (!plan.gso) {
    CompleteChecksum(plan, work.data(), work.size());
    segments.Set(0u, Copy(env, work.data(), work.size()));
    return out;
  }
  std::vector<uint8_t> segment(kMaxSegmentLength + linkLength);
  for (size_t i = 1; i < plan.segments; ++i) {
    size_t length = WriteSegment(plan, work.data(), i, segment.data());
    segments.Set(static_cast<uint32_t>(i), Copy(env, segment.data(), length));
  }
  size_t length = WriteSegment(plan, work.data(), 0, work.data());
  segments.Set(0u, Copy(env, work.data(), length));
  return out;
}

class CollectingSink final : public PacketSink {
 public:
  CollectingSink(Napi::Env env, Napi::Array out) : env_(env), out_(out) {}
  void WritePacket(const VirtioNetHeader& header, const uint8_t* packet, size_t length) override {
    Napi::Object write = Napi::Object::New(env_);
    write.Set("header", Copy(env_, reinterpret_cast<const uint8_t*>(&header), sizeof header));
    write.Set("packet", Copy(env_, packet, length));
    out_.Set(out_.Length(), write);
  }

 private:
  Napi::Env env_;
  Napi::Array out_;
};

// groCoalesce(packets: Uint8Array[], linkLength, tcp, udp) -> { header, packet }[]: the writes
// a device would get for these packets arriving in one batch.
Napi::Value GroCoalesce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    throw Napi::TypeError::New(env, "packets must be an array of Uint8Array");
  }
  Napi::Array packets = info[0].As<Napi::Array>();
  size_t linkLength = LinkLengthArg(info, 1);
  bool tcp = BoolArg(info, 2, "tcp");
  bool udp = BoolArg(info, 3, "udp");
  // Copies that stay put until the flush, as the receive buffers do in the data plane.
  std::vector<std::vector<uint8_t>> held(packets.Length());
  for (uint32_t i = 0; i < packets.Length(); ++i) {
    Napi::Value v = packets.Get(i);
    if (!IsUint8Array(v)) throw Napi::TypeError::New(env, "packets must be an array of Uint8Array");
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    held[i].assign(a.Data(), a.Data() + a.ByteLength());
  }
  Napi::Array out = Napi::Array::New(env);
  CollectingSink sink(env, out);
  GroCoalescer coalescer(linkLength, tcp, udp, &sink);
  for (const std::vector<uint8_t>& packet : held) coalescer.Add(packet.data(), packet.size());
  coalescer.Flush();
  return out;
}

Napi::Value SymmetricFlowHashOf(const Napi::CallbackInfo& info) {
  ByteView packet = BytesArg(info, 0, "packet");
  return Napi::Number::New(info.Env(), SymmetricFlowHash(packet.data, packet.size));
}

}  // namespace

void InitOffload(Napi::Env env, Napi::Object exports) {
  exports.Set("gsoSplit", Napi::Function::New<GsoSplit>(env, "gsoSplit"));
  exports.Set("groCoalesce", Napi::Function::New<GroCoalesce>(env, "groCoalesce"));
  exports.Set("symmetricFlowHash", Napi::Function::New<SymmetricFlowHashOf>(env, "symmetricFlowHash"));
}

}  // namespace viaguard::binding
