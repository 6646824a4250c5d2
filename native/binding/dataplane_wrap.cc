// N-API surface of the data plane: monotonicMs(), createTun(name), peerMac(publicKey) and class
// DataPlane over viaguard::DataPlane, one name on both sides. Every argument is checked here
// again (the TS wrapper checks first), and events reach JavaScript in batches through one
// ThreadSafeFunction.
#include <openssl/crypto.h>

#include <cmath>
#include <memory>
#include <string>
#include <system_error>
#include <unistd.h>

#include "binding/allowedips_wrap.h"
#include "binding/modules.h"
#include "binding/napi_args.h"
#include "clock.h"
#include "datapath.h"
#include "ethernet.h"
#include "tun.h"

namespace viaguard::binding {
namespace {

double NsToMs(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

PeerId PeerArg(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<PeerId>(IntegerArg(info, i, "peer", 1, 0xffffffffu));
}

uint32_t U32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return static_cast<uint32_t>(IntegerArg(info, i, name, 0, 0xffffffffu));
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

ByteView KeyArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  ByteView key = BytesArg(info, i, name);
  if (key.size != 32) throw Napi::RangeError::New(info.Env(), std::string(name) + " must be 32 bytes");
  return key;
}

// address, port at i and i + 1; an optional local (source) address at localAt.
Endpoint EndpointArgs(const Napi::CallbackInfo& info, size_t i, size_t localAt) {
  std::string address = StringArg(info, i, "address");
  uint16_t port = static_cast<uint16_t>(IntegerArg(info, i + 1, "port", 1, 65535));
  Endpoint endpoint;
  if (!Endpoint::Parse(address, port, &endpoint)) {
    throw Napi::RangeError::New(info.Env(), "address must be a numeric IPv4 or IPv6 address, got '" +
                                                address + "'");
  }
  if (localAt < info.Length() && !info[localAt].IsUndefined()) {
    std::string local = StringArg(info, localAt, "localAddress");
    if (!endpoint.SetLocal(local)) {
      throw Napi::RangeError::New(
          info.Env(), "localAddress must be a numeric address of the family of address, got '" +
                          local + "'");
    }
  }
  return endpoint;
}

Napi::Uint8Array MacBytes(Napi::Env env, Mac mac) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, kMacSize6);
  MacToBytes(mac, out.Data());
  return out;
}

AddressKey AddressArg(Napi::Env env, const Napi::Value& value, const char* name) {
  if (!value.IsString()) throw Napi::TypeError::New(env, std::string(name) + " must be a string");
  std::string text = value.As<Napi::String>().Utf8Value();
  AddressKey key;
  if (!AddressKey::Parse(text, &key)) {
    throw Napi::RangeError::New(env, std::string(name) + " must be a numeric IPv4 or IPv6 address, got '" +
                                         text + "'");
  }
  return key;
}

Napi::Object EventObject(Napi::Env env, const DataPlaneEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  auto setEndpoint = [&]() {
    o.Set("address", e.endpoint.AddressText());
    o.Set("port", e.endpoint.Port());
    if (e.endpoint.hasLocal) o.Set("localAddress", e.endpoint.LocalText());
  };
  switch (e.type) {
    case DataPlaneEvent::Type::kHandshake:
      o.Set("type", "handshake");
      o.Set("message", Napi::Buffer<uint8_t>::Copy(env, e.message.data(), e.message.size()));
      setEndpoint();
      if (e.underLoad) o.Set("underLoad", true);
      break;
    case DataPlaneEvent::Type::kNeedHandshake:
      o.Set("type", "needHandshake");
      o.Set("peer", e.peer);
      break;
    case DataPlaneEvent::Type::kKeypairConfirmed:
      o.Set("type", "keypairConfirmed");
      o.Set("peer", e.peer);
      o.Set("localIndex", e.localIndex);
      break;
    case DataPlaneEvent::Type::kEndpointChanged:
      o.Set("type", "endpointChanged");
      o.Set("peer", e.peer);
      setEndpoint();
      break;
    case DataPlaneEvent::Type::kClosed:
      o.Set("type", "closed");
      o.Set("reason", e.reason);
      break;
    case DataPlaneEvent::Type::kResolveSource:
      o.Set("type", "resolveSource");
      o.Set("peer", e.peer);
      o.Set("address", e.address.Text());
      o.Set("destination", e.destination.Text());
      o.Set("generation", static_cast<double>(e.generation));
      break;
    case DataPlaneEvent::Type::kAddressLearnt:
      o.Set("type", "addressLearnt");
      o.Set("peer", e.peer);
      o.Set("address", e.address.Text());
      break;
  }
  return o;
}

// options[name]: an integer in 1..max, or fallback when absent.
size_t CountOption(const Napi::Object& options, const char* name, size_t fallback, size_t max) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined()) return fallback;
  double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0;
  if (!std::isfinite(number) || std::trunc(number) != number || number < 1 ||
      number > static_cast<double>(max)) {
    throw Napi::RangeError::New(options.Env(), std::string("options.") + name +
                                                   " must be an integer in 1.." + std::to_string(max));
  }
  return static_cast<size_t>(number);
}

// createTun(name) -> { fd, name }: for a daemon's parent, which hands the fd to its child.
Napi::Value CreateTun(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  std::string actual;
  int fd;
  try {
    fd = CreateTunFd(name, &actual);
  } catch (const std::system_error& e) {
    throw SystemError(info.Env(), e);
  }
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("fd", fd);
  out.Set("name", actual);
  return out;
}

// peerMac(publicKey) -> the 6-byte MAC that stands for the peer in route mode (ethernet.h).
Napi::Value PeerMacOf(const Napi::CallbackInfo& info) {
  ByteView key = KeyArg(info, 0, "publicKey");
  return MacBytes(info.Env(), PeerMac(key.data));
}

Napi::Value MonotonicMs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), NsToMs(MonotonicNs()));
}

class DataPlaneWrap : public Napi::ObjectWrap<DataPlaneWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "DataPlane",
        {
            InstanceAccessor<&DataPlaneWrap::Ifname>("ifname"),
            InstanceAccessor<&DataPlaneWrap::Port>("port"),
            InstanceAccessor<&DataPlaneWrap::Ethernet>("ethernet"),
            InstanceAccessor<&DataPlaneWrap::Offloads>("offloads"),
            InstanceAccessor<&DataPlaneWrap::CryptoThreads>("cryptoThreads"),
            InstanceAccessor<&DataPlaneWrap::Queues>("queues"),
            InstanceMethod<&DataPlaneWrap::HardwareAddress>("hardwareAddress"),
            InstanceMethod<&DataPlaneWrap::DeviceNamespace>("deviceNamespace"),
            InstanceMethod<&DataPlaneWrap::SetPeerMac>("setPeerMac"),
            InstanceMethod<&DataPlaneWrap::OwnerOf>("ownerOf"),
            InstanceMethod<&DataPlaneWrap::LearntAddresses>("learntAddresses"),
            InstanceMethod<&DataPlaneWrap::SettleSources>("settleSources"),
            InstanceMethod<&DataPlaneWrap::ClearSourceVerdicts>("clearSourceVerdicts"),
            InstanceMethod<&DataPlaneWrap::LocalAddresses>("localAddresses"),
            InstanceMethod<&DataPlaneWrap::ForgetLocalAddress>("forgetLocalAddress"),
            InstanceMethod<&DataPlaneWrap::Bind>("bind"),
            InstanceMethod<&DataPlaneWrap::SetFwmark>("setFwmark"),
            InstanceMethod<&DataPlaneWrap::SetMac1Key>("setMac1Key"),
            InstanceMethod<&DataPlaneWrap::SetSourceCheck>("setSourceCheck"),
            InstanceMethod<&DataPlaneWrap::SetRekeyAfterMessages>("setRekeyAfterMessages"),
            InstanceMethod<&DataPlaneWrap::SetMtu>("setMtu"),
            InstanceMethod<&DataPlaneWrap::SetRouteMtus>("setRouteMtus"),
            InstanceMethod<&DataPlaneWrap::AddPeer>("addPeer"),
            InstanceMethod<&DataPlaneWrap::RemovePeer>("removePeer"),
            InstanceMethod<&DataPlaneWrap::HoldSteering>("holdSteering"),
            InstanceMethod<&DataPlaneWrap::ReleaseSteering>("releaseSteering"),
            InstanceMethod<&DataPlaneWrap::SetEndpoint>("setEndpoint"),
            InstanceMethod<&DataPlaneWrap::ClearEndpoint>("clearEndpoint"),
            InstanceMethod<&DataPlaneWrap::ClearEndpointSource>("clearEndpointSource"),
            InstanceMethod<&DataPlaneWrap::InstallKeypair>("installKeypair"),
            InstanceMethod<&DataPlaneWrap::RemoveKeypair>("removeKeypair"),
            InstanceMethod<&DataPlaneWrap::ClearKeypairs>("clearKeypairs"),
            InstanceMethod<&DataPlaneWrap::HasKeypairIndex>("hasKeypairIndex"),
            InstanceMethod<&DataPlaneWrap::Keypairs>("keypairs"),
            InstanceMethod<&DataPlaneWrap::SendHandshake>("sendHandshake"),
            InstanceMethod<&DataPlaneWrap::SendTo>("sendTo"),
            InstanceMethod<&DataPlaneWrap::SendKeepalive>("sendKeepalive"),
            InstanceMethod<&DataPlaneWrap::DropStaged>("dropStaged"),
            InstanceMethod<&DataPlaneWrap::PeerStats>("peerStats"),
            InstanceMethod<&DataPlaneWrap::Counters>("counters"),
            InstanceMethod<&DataPlaneWrap::Close>("close"),
        });
  }

  // new DataPlane({ tunName?, tunFd?, tap?, mtu, threads? }, allowedIps, onEvents): tap creates
  // a TAP device (route mode); an adopted tunFd is whichever kind it is. threads: the crypto
  // workers (default: one per CPU the process may use).
  explicit DataPlaneWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataPlaneWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "options must be an object");
    }
    Napi::Object options = info[0].As<Napi::Object>();
    std::shared_ptr<SharedAllowedIps> allowedIps = UnwrapAllowedIps(info[1]);
    if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onEvents must be a function");

    Napi::Value mtuValue = options.Get("mtu");
    if (!mtuValue.IsNumber()) throw Napi::TypeError::New(env, "options.mtu must be a number");
    double mtu = mtuValue.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(mtu) || std::trunc(mtu) != mtu || mtu < 576 || mtu > 65535) {
      throw Napi::RangeError::New(env, "options.mtu must be an integer in 576..65535");
    }
    const size_t threads = CountOption(options, "threads", CryptoPool::UsableCpus(), kMaxCryptoThreads);
    const size_t queues = CountOption(options, "queues", DefaultDeviceQueues(), kMaxDeviceQueues);
    Napi::Value tunName = options.Get("tunName");
    Napi::Value tunFd = options.Get("tunFd");
    if (tunName.IsUndefined() == tunFd.IsUndefined()) {
      throw Napi::TypeError::New(env, "options needs exactly one of tunName and tunFd");
    }

    Napi::Value tap = options.Get("tap");
    if (!tap.IsUndefined() && !tap.IsBoolean()) throw Napi::TypeError::New(env, "options.tap must be a boolean");
    DeviceKind kind = tap.IsBoolean() && tap.As<Napi::Boolean>().Value() ? DeviceKind::kTap : DeviceKind::kTun;
    if (kind == DeviceKind::kTap && tunName.IsUndefined()) {
      throw Napi::TypeError::New(env, "options.tap goes with tunName (an adopted fd keeps its kind)");
    }

    std::unique_ptr<IpDevice> device;
    try {
      if (!tunName.IsUndefined()) {
        if (!tunName.IsString()) throw Napi::TypeError::New(env, "options.tunName must be a string");
        std::string actual;
        int fd = CreateTunFd(tunName.As<Napi::String>().Utf8Value(), &actual, kind);
        try {
          device = std::make_unique<Tun>(fd);
        } catch (...) {
          close(fd);
          throw;
        }
      } else {
        if (!tunFd.IsNumber()) throw Napi::TypeError::New(env, "options.tunFd must be a number");
        double fd = tunFd.As<Napi::Number>().DoubleValue();
        if (!std::isfinite(fd) || std::trunc(fd) != fd || fd < 0 || fd > 1 << 30) {
          throw Napi::RangeError::New(env, "options.tunFd must be a file descriptor number");
        }
        device = std::make_unique<Tun>(static_cast<int>(fd));
      }
    } catch (const std::system_error& e) {
      throw SystemError(env, e);
    }

    tsfn_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "viaguard-dataplane", 0, 1);
    auto self = std::make_shared<std::weak_ptr<DataPlane>>();
    Napi::ThreadSafeFunction tsfn = tsfn_;
    auto notify = [tsfn, self]() mutable {
      tsfn.NonBlockingCall([self](Napi::Env callEnv, Napi::Function onEvents) {
        std::shared_ptr<DataPlane> dataPlane = self->lock();
        if (!dataPlane) return;
        std::vector<DataPlaneEvent> events = dataPlane->TakeEvents();
        if (events.empty()) return;
        Napi::Array array = Napi::Array::New(callEnv, events.size());
        for (size_t i = 0; i < events.size(); ++i) array.Set(i, EventObject(callEnv, events[i]));
        try {
          onEvents.Call({array});
        } catch (const Napi::Error& e) {
          e.ThrowAsJavaScriptException();
        }
      });
    };
    try {
      dataPath_ = std::make_shared<DataPlane>(std::move(device), static_cast<int>(mtu),
                                             std::move(allowedIps), notify, threads, queues);
    } catch (const std::system_error& e) {
      tsfn_.Release();
      throw SystemError(env, e);
    } catch (const Napi::Error&) {
      tsfn_.Release();
      throw;
    } catch (const std::exception& e) {  // e.g. a bad VIAGUARD_AEAD
      tsfn_.Release();
      throw Napi::Error::New(env, e.what());
    } catch (...) {
      tsfn_.Release();  // else the failed object would keep the event loop alive
      throw;
    }
    *self = dataPath_;
    napi_add_env_cleanup_hook(env, &DataPlaneWrap::CloseAtExit, this);
  }

  ~DataPlaneWrap() override {
    Shutdown();
    napi_remove_env_cleanup_hook(Env(), &DataPlaneWrap::CloseAtExit, this);
  }

 private:
  static void CloseAtExit(void* self) { static_cast<DataPlaneWrap*>(self)->Shutdown(); }

  void Shutdown() {
    if (!dataPath_ || dataPath_->IsClosed()) return;
    dataPath_->Close();
    tsfn_.Release();
  }

  DataPlane& Open(const Napi::CallbackInfo& info) {
    if (dataPath_->IsClosed()) throw Napi::Error::New(info.Env(), "the data plane is closed");
    return *dataPath_;
  }

  [[noreturn]] static void UnknownPeer(const Napi::CallbackInfo& info, PeerId id) {
    throw Napi::RangeError::New(info.Env(), "unknown peer " + std::to_string(id));
  }

  Napi::Value Ifname(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), dataPath_->Name());
  }

  Napi::Value Port(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), Open(info).Port());
  }

  // bind(port) -> the port bound (a free one for 0)
  Napi::Value Bind(const Napi::CallbackInfo& info) {
    uint16_t port = static_cast<uint16_t>(IntegerArg(info, 0, "port", 0, 65535));
    try {
      return Napi::Number::New(info.Env(), Open(info).Bind(port));
    } catch (const std::system_error& e) {
      throw SystemError(info.Env(), e);
    }
  }

  void SetFwmark(const Napi::CallbackInfo& info) {
    uint32_t mark = U32Arg(info, 0, "mark");
    try {
      Open(info).SetFwmark(mark);
    } catch (const std::system_error& e) {
      throw SystemError(info.Env(), e);
    }
  }

  void SetMac1Key(const Napi::CallbackInfo& info) {
    if (info.Length() > 0 && info[0].IsNull()) {
      Open(info).SetMac1Key(nullptr);
      return;
    }
    ByteView key = KeyArg(info, 0, "key");
    Open(info).SetMac1Key(key.data);
  }

  void SetRekeyAfterMessages(const Napi::CallbackInfo& info) {
    double value = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    // Only lower: a number above 2^53 cannot be exact, and the protocol's value is the ceiling.
    constexpr double kMaxExact = 9007199254740991.0;
    if (!std::isfinite(value) || std::trunc(value) != value || value < 1 || value > kMaxExact) {
      throw Napi::RangeError::New(info.Env(), "messages must be an integer in 1..2^53-1");
    }
    Open(info).SetRekeyAfterMessages(static_cast<uint64_t>(value));
  }

  void SetSourceCheck(const Napi::CallbackInfo& info) {
    std::string mode = StringArg(info, 0, "mode");
    if (mode == "allowed-ips") {
      Open(info).SetSourceCheck(SourceCheck::kAllowedIps);
    } else if (mode == "route") {
      Open(info).SetSourceCheck(SourceCheck::kRoute);
    } else if (mode == "off") {
      Open(info).SetSourceCheck(SourceCheck::kOff);
    } else {
      throw Napi::RangeError::New(info.Env(), "mode must be 'allowed-ips', 'route' or 'off'");
    }
  }

  Napi::Value Ethernet(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), dataPath_->Ethernet());
  }

  Napi::Value CryptoThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(dataPath_->CryptoThreads()));
  }
  Napi::Value Queues(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(dataPath_->Queues()));
  }

  Napi::Value Offloads(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), dataPath_->Offloads());
  }

  // hardwareAddress() -> the TAP's MAC as read from the kernel now (null on a TUN device)
  Napi::Value HardwareAddress(const Napi::CallbackInfo& info) {
    DataPlane& dataPlane = Open(info);
    if (!dataPlane.Ethernet()) return info.Env().Null();
    try {
      dataPlane.RefreshDeviceMac();
    } catch (const std::system_error& e) {
      throw SystemError(info.Env(), e);
    }
    return MacBytes(info.Env(), dataPlane.DeviceMac());
  }

  // deviceNamespace() -> { fd, name }: an fd (the caller's to close) of the network namespace
  // the interface lives in now, and its name there; throws (EBADFD once it was deleted)
  Napi::Value DeviceNamespace(const Napi::CallbackInfo& info) {
    std::string name;
    int fd = Open(info).OpenDeviceNetns(&name);
    if (fd < 0) {
      throw SystemError(info.Env(), std::system_error(-fd, std::generic_category(), "TUNGETDEVNETNS"));
    }
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("fd", fd);
    out.Set("name", name);
    return out;
  }

  // setPeerMac(peer, mac: 6 bytes)
  void SetPeerMac(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    ByteView mac = BytesArg(info, 1, "mac");
    if (mac.size != kMacSize6) throw Napi::RangeError::New(info.Env(), "mac must be 6 bytes");
    try {
      if (!Open(info).SetPeerMac(id, MacFromBytes(mac.data))) UnknownPeer(info, id);
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(info.Env(), e.what());
    }
  }

  // ownerOf(address) -> the peer answering ARP/NDP for it, 0 for none
  Napi::Value OwnerOf(const Napi::CallbackInfo& info) {
    if (info.Length() < 1) throw Napi::TypeError::New(info.Env(), "address must be a string");
    AddressKey address = AddressArg(info.Env(), info[0], "address");
    return Napi::Number::New(info.Env(), Open(info).OwnerOf(address));
  }

  // learntAddresses(peer) -> the link-local addresses its packets taught us
  Napi::Value LearntAddresses(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    DataPlane& dataPlane = Open(info);
    if (!dataPlane.HasPeer(id)) UnknownPeer(info, id);
    std::vector<AddressKey> addresses = dataPlane.LearntAddressesOf(id);
    Napi::Array out = Napi::Array::New(info.Env(), addresses.size());
    for (size_t i = 0; i < addresses.size(); ++i) out.Set(i, addresses[i].Text());
    return out;
  }

  // settleSources([{ address, destination, peer, accept, generation }]): answers to
  // resolveSource events
  void SettleSources(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "verdicts must be an array");
    Napi::Array array = info[0].As<Napi::Array>();
    std::vector<SourceVerdict> verdicts;
    verdicts.reserve(array.Length());
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value item = array.Get(i);
      if (!item.IsObject()) throw Napi::TypeError::New(env, "each verdict must be an object");
      Napi::Object o = item.As<Napi::Object>();
      Napi::Value peer = o.Get("peer");
      Napi::Value accept = o.Get("accept");
      Napi::Value generation = o.Get("generation");
      if (!peer.IsNumber() || !accept.IsBoolean() || !generation.IsNumber()) {
        throw Napi::TypeError::New(env, "a verdict needs peer (number), accept (boolean), generation (number)");
      }
      double peerId = peer.As<Napi::Number>().DoubleValue();
      double gen = generation.As<Napi::Number>().DoubleValue();
      if (!(peerId >= 1 && peerId <= 0xffffffffu) || std::trunc(peerId) != peerId ||
          !(gen >= 0 && gen <= 9007199254740991.0) || std::trunc(gen) != gen) {
        throw Napi::RangeError::New(env, "verdict peer must be 1..2^32-1 and generation a safe integer");
      }
      verdicts.push_back({AddressArg(env, o.Get("address"), "verdict address"),
                          AddressArg(env, o.Get("destination"), "verdict destination"), static_cast<PeerId>(peerId),
                          accept.As<Napi::Boolean>().Value(), static_cast<uint64_t>(gen)});
    }
    Open(info).SettleSources(verdicts);
  }

  void ClearSourceVerdicts(const Napi::CallbackInfo& info) { Open(info).ClearSourceVerdicts(); }

  // localAddresses() -> [{peer, address, port, localAddress, localIfindex}]
  Napi::Value LocalAddresses(const Napi::CallbackInfo& info) {
    std::vector<std::pair<PeerId, Endpoint>> locals = Open(info).LocalAddresses();
    Napi::Array out = Napi::Array::New(info.Env(), locals.size());
    for (size_t i = 0; i < locals.size(); ++i) {
      const Endpoint& e = locals[i].second;
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("peer", locals[i].first);
      o.Set("address", e.AddressText());
      o.Set("port", e.Port());
      o.Set("localAddress", e.LocalText());
      o.Set("localIfindex", e.localIfindex);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  // forgetLocalAddress(peer, address, port, localAddress, localIfindex) -> whether it was forgotten
  Napi::Value ForgetLocalAddress(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    Endpoint seen = EndpointArgs(info, 1, 3);
    seen.localIfindex = static_cast<uint32_t>(IntegerArg(info, 4, "localIfindex", 0, UINT32_MAX));
    return Napi::Boolean::New(info.Env(), Open(info).ForgetLocalAddress(id, seen));
  }

  void SetMtu(const Napi::CallbackInfo& info) {
    int mtu = static_cast<int>(IntegerArg(info, 0, "mtu", 576, 65535));
    try {
      Open(info).SetMtu(mtu);
    } catch (const std::system_error& e) {
      throw SystemError(info.Env(), e);
    }
  }

  // setRouteMtus(packed): entries of 22 bytes: family (4|6), cidr, 16 address bytes, MTU (u32 LE).
  void SetRouteMtus(const Napi::CallbackInfo& info) {
    constexpr size_t kEntryBytes = 22;
    ByteView packed = BytesArg(info, 0, "route MTUs");
    if (packed.size % kEntryBytes != 0) {
      throw Napi::RangeError::New(info.Env(), "route MTUs must be a multiple of 22 bytes");
    }
    std::vector<RouteMtu> routes(packed.size / kEntryBytes);
    for (size_t i = 0; i < routes.size(); ++i) {
      const uint8_t* raw = packed.data + i * kEntryBytes;
      routes[i].family = static_cast<Family>(raw[0]);
      routes[i].cidr = raw[1];
      std::memcpy(routes[i].address, raw + 2, 16);
      routes[i].mtu = static_cast<uint32_t>(raw[18]) | static_cast<uint32_t>(raw[19]) << 8 |
                      static_cast<uint32_t>(raw[20]) << 16 | static_cast<uint32_t>(raw[21]) << 24;
    }
    try {
      Open(info).SetRouteMtus(routes);
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(info.Env(), e.what());
    }
  }

  void AddPeer(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).AddPeer(id)) {
      throw Napi::RangeError::New(info.Env(), "peer " + std::to_string(id) + " already exists");
    }
  }

  Napi::Value RemovePeer(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    return Napi::Boolean::New(info.Env(), Open(info).RemovePeer(id));
  }

  void HoldSteering(const Napi::CallbackInfo& info) { Open(info).HoldSteering(); }

  void ReleaseSteering(const Napi::CallbackInfo& info) { Open(info).ReleaseSteering(); }

  // setEndpoint(peer, address, port, localAddress?)
  void SetEndpoint(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    Endpoint endpoint = EndpointArgs(info, 1, 3);
    if (!Open(info).SetEndpoint(id, endpoint)) UnknownPeer(info, id);
  }

  void ClearEndpoint(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).SetEndpoint(id, Endpoint{})) UnknownPeer(info, id);
  }

  void ClearEndpointSource(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).ClearEndpointSource(id)) UnknownPeer(info, id);
  }

  // installKeypair(peer, localIndex, remoteIndex, sendKey, receiveKey, initiator, birthMs?)
  void InstallKeypair(const Napi::CallbackInfo& info) {
    KeypairParams params{};
    PeerId id = PeerArg(info, 0);
    params.localIndex = U32Arg(info, 1, "localIndex");
    params.remoteIndex = U32Arg(info, 2, "remoteIndex");
    ByteView sendKey = KeyArg(info, 3, "sendKey");
    ByteView receiveKey = KeyArg(info, 4, "receiveKey");
    params.initiator = BoolArg(info, 5, "initiator");
    uint64_t now = MonotonicNs();
    params.birthNs = now;
    if (info.Length() > 6 && !info[6].IsUndefined()) {
      if (!info[6].IsNumber()) throw Napi::TypeError::New(info.Env(), "birthMs must be a number");
      double birthMs = info[6].As<Napi::Number>().DoubleValue();
      if (!std::isfinite(birthMs) || birthMs <= 0 || birthMs > NsToMs(now)) {
        throw Napi::RangeError::New(info.Env(), "birthMs must be a past monotonicMs() time");
      }
      params.birthNs = static_cast<uint64_t>(birthMs * 1e6);
    }
    std::memcpy(params.sendKey, sendKey.data, sizeof params.sendKey);
    std::memcpy(params.receiveKey, receiveKey.data, sizeof params.receiveKey);
    DataPlane& dataPlane = Open(info);
    try {
      dataPlane.InstallKeypair(id, params);
    } catch (const std::invalid_argument& e) {
      OPENSSL_cleanse(&params, sizeof params);
      throw Napi::RangeError::New(info.Env(), e.what());
    }
    OPENSSL_cleanse(&params, sizeof params);
  }

  Napi::Value RemoveKeypair(const Napi::CallbackInfo& info) {
    uint32_t localIndex = U32Arg(info, 0, "localIndex");
    return Napi::Boolean::New(info.Env(), Open(info).RemoveKeypair(localIndex));
  }

  void ClearKeypairs(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).ClearKeypairs(id)) UnknownPeer(info, id);
  }

  // hasKeypairIndex(localIndex) -> whether one of the data plane's keypairs holds it
  Napi::Value HasKeypairIndex(const Napi::CallbackInfo& info) {
    uint32_t localIndex = U32Arg(info, 0, "localIndex");
    return Napi::Boolean::New(info.Env(), Open(info).HasKeypairIndex(localIndex));
  }

  // keypairs(peer) -> { previous, current, next }: local indices or null
  Napi::Value Keypairs(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    DataPlane& dataPlane = Open(info);
    if (!dataPlane.HasPeer(id)) UnknownPeer(info, id);
    KeypairSlotIndices slots = dataPlane.Keypairs(id);
    Napi::Env env = info.Env();
    auto value = [env](int64_t index) -> Napi::Value {
      return index < 0 ? env.Null() : Napi::Number::New(env, static_cast<double>(index));
    };
    Napi::Object out = Napi::Object::New(env);
    out.Set("previous", value(slots.previous));
    out.Set("current", value(slots.current));
    out.Set("next", value(slots.next));
    return out;
  }

  // sendHandshake(peer, message) -> whether it went to the peer's endpoint
  Napi::Value SendHandshake(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    ByteView message = BytesArg(info, 1, "message");
    DataPlane& dataPlane = Open(info);
    if (!dataPlane.HasPeer(id)) UnknownPeer(info, id);
    return Napi::Boolean::New(info.Env(), dataPlane.SendHandshake(id, message.data, message.size));
  }

  // sendTo(address, port, message, localAddress?) -> whether the socket took it
  Napi::Value SendTo(const Napi::CallbackInfo& info) {
    Endpoint endpoint = EndpointArgs(info, 0, 3);
    ByteView message = BytesArg(info, 2, "message");
    return Napi::Boolean::New(info.Env(), Open(info).SendTo(endpoint, message.data, message.size));
  }

  void SendKeepalive(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).SendKeepalive(id)) UnknownPeer(info, id);
  }

  void DropStaged(const Napi::CallbackInfo& info) {
    PeerId id = PeerArg(info, 0);
    if (!Open(info).DropStaged(id)) UnknownPeer(info, id);
  }

  // peerStats() -> Float64Array of rows of kPeerStatsColumns (see src/native/dataplane.ts)
  Napi::Value PeerStats(const Napi::CallbackInfo& info) {
    constexpr size_t kColumns = 11;
    std::vector<viaguard::PeerStats> stats = Open(info).Stats();
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), stats.size() * kColumns);
    double* row = out.Data();
    for (const viaguard::PeerStats& s : stats) {
      row[0] = s.id;
      row[1] = static_cast<double>(s.rxBytes);
      row[2] = static_cast<double>(s.txBytes);
      row[3] = NsToMs(s.lastDataSentNs);
      row[4] = NsToMs(s.lastDataReceivedNs);
      row[5] = NsToMs(s.lastAuthSentNs);
      row[6] = NsToMs(s.lastAuthReceivedNs);
      row[7] = static_cast<double>(s.sourceCheckDrops);
      row[8] = static_cast<double>(s.staged);
      row[9] = NsToMs(s.firstDataSentSinceReceiveNs);
      row[10] = NsToMs(s.firstDataReceivedSinceSendNs);
      row += kColumns;
    }
    return out;
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    DataPlane& dataPlane = Open(info);
    Napi::Object out = Napi::Object::New(info.Env());
    for (size_t i = 0; i < kCounterNames.size(); ++i) {
      out.Set(kCounterNames[i],
              Napi::Number::New(info.Env(), static_cast<double>(dataPlane.Count(static_cast<Counter>(i)))));
    }
    return out;
  }

  void Close(const Napi::CallbackInfo&) { Shutdown(); }

  std::shared_ptr<DataPlane> dataPath_;
  Napi::ThreadSafeFunction tsfn_;
};

}  // namespace

void InitDataPlane(Napi::Env env, Napi::Object exports) {
  exports.Set("monotonicMs", Napi::Function::New<MonotonicMs>(env, "monotonicMs"));
  exports.Set("createTun", Napi::Function::New<CreateTun>(env, "createTun"));
  exports.Set("peerMac", Napi::Function::New<PeerMacOf>(env, "peerMac"));
  exports.Set("DataPlane", DataPlaneWrap::Define(env));
}

}  // namespace viaguard::binding
