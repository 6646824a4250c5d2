// steeringProgram(family, endpoints, lanes) -> [[code, jt, jf, k], ...] and knownLane(address,
// port, lanes): the UDP sockets' SO_REUSEPORT steering (socket_filters.h), exported so tests can
// run the program on hand-built datagrams.
#include <string>
#include <sys/socket.h>
#include <vector>

#include "binding/modules.h"
#include "binding/napi_args.h"
#include "socket_filters.h"

namespace viaguard::binding {
namespace {

Endpoint EndpointOf(Napi::Env env, const std::string& address, uint32_t port) {
  Endpoint endpoint;
  if (port == 0 || port > 65535 || !Endpoint::Parse(address, static_cast<uint16_t>(port), &endpoint)) {
    throw Napi::RangeError::New(env, "bad endpoint " + address + " port " + std::to_string(port));
  }
  return endpoint;
}

// endpoints: [[address, port], ...]
Napi::Value SteeringProgramOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double version = IntegerArg(info, 0, "family", 4, 6);
  if (version == 5) throw Napi::RangeError::New(env, "family must be 4 or 6");
  int family = version == 4 ? AF_INET : AF_INET6;
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "endpoints must be an array");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<Endpoint> endpoints;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value entry = list.Get(i);
    if (!entry.IsArray()) throw Napi::TypeError::New(env, "an endpoint is [address, port]");
    Napi::Array pair = entry.As<Napi::Array>();
    endpoints.push_back(EndpointOf(env, pair.Get(0u).ToString().Utf8Value(),
                                   pair.Get(1u).ToNumber().Uint32Value()));
  }
  unsigned lanes = static_cast<unsigned>(IntegerArg(info, 2, "lanes", 1, 256));
  std::vector<sock_filter> program = SteeringProgram(family, endpoints, lanes);
  Napi::Array out = Napi::Array::New(env, program.size());
  for (size_t i = 0; i < program.size(); ++i) {
    Napi::Array insn = Napi::Array::New(env, 4);
    insn.Set(0u, program[i].code);
    insn.Set(1u, program[i].jt);
    insn.Set(2u, program[i].jf);
    insn.Set(3u, Napi::Number::New(env, program[i].k));
    out.Set(static_cast<uint32_t>(i), insn);
  }
  return out;
}

Napi::Value KnownLaneOf(const Napi::CallbackInfo& info) {
  Endpoint endpoint = EndpointOf(info.Env(), StringArg(info, 0, "address"),
                                 static_cast<uint32_t>(IntegerArg(info, 1, "port", 1, 65535)));
  unsigned lanes = static_cast<unsigned>(IntegerArg(info, 2, "lanes", 1, 256));
  return Napi::Number::New(info.Env(), KnownLane(endpoint, lanes));
}

}  // namespace

void InitSocketFilters(Napi::Env env, Napi::Object exports) {
  exports.Set("steeringProgram", Napi::Function::New<SteeringProgramOf>(env, "steeringProgram"));
  exports.Set("knownLane", Napi::Function::New<KnownLaneOf>(env, "knownLane"));
}

}  // namespace viaguard::binding
