// JavaScript face of viaguard::RtnlSocket: `new NetlinkSocket(groups, netnsPath, onReceive)`.
// The event loop polls the descriptor (uv_poll, no thread, no busy polling) and hands each
// readable burst to onReceive(error, datagrams, overflowed) on the JS thread.
#include <uv.h>

#include <string>
#include <system_error>
#include <vector>

#include "binding/modules.h"
#include "netlink.h"

namespace viaguard::binding {

namespace {

// Upper bound on datagrams handed to JS per wakeup, so a full-table dump cannot starve the loop;
// the poll is level-triggered and fires again while data remains.
constexpr size_t kDatagramsPerWakeup = 256;

Napi::Error SystemError(Napi::Env env, const std::system_error& e) {
  Napi::Error error = Napi::Error::New(env, e.what());
  int err = e.code().value();
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, uv_err_name(-err)));
  return error;
}

class NetlinkSocketWrap : public Napi::ObjectWrap<NetlinkSocketWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkSocket",
                       {InstanceMethod<&NetlinkSocketWrap::Send>("send"),
                        InstanceMethod<&NetlinkSocketWrap::Close>("close"),
                        InstanceMethod<&NetlinkSocketWrap::RefLoop>("ref"),
                        InstanceMethod<&NetlinkSocketWrap::UnrefLoop>("unref"),
                        InstanceAccessor<&NetlinkSocketWrap::PortId>("portId")});
  }

  explicit NetlinkSocketWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<NetlinkSocketWrap>(info), async_(info.Env(), "viaguard:netlink") {
    Napi::Env env = info.Env();
    if (info.Length() != 3) throw Napi::TypeError::New(env, "NetlinkSocket(groups, netnsPath, onReceive)");
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, "groups must be an array of group numbers");
    if (!info[1].IsString() && !info[1].IsUndefined() && !info[1].IsNull()) {
      throw Napi::TypeError::New(env, "netnsPath must be a string or undefined");
    }
    if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onReceive must be a function");

    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<uint32_t> groups;
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value v = list.Get(i);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, "groups must be an array of group numbers");
      double g = v.As<Napi::Number>().DoubleValue();
      if (!(g >= 1 && g <= 1024) || g != static_cast<uint32_t>(g)) {
        throw Napi::RangeError::New(env, "netlink group numbers are integers 1..1024");
      }
      groups.push_back(static_cast<uint32_t>(g));
    }
    std::string netnsPath = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    onReceive_ = Napi::Persistent(info[2].As<Napi::Function>());

    try {
      socket_.Open(groups, netnsPath);
    } catch (const std::system_error& e) {
      throw SystemError(env, e);
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, socket_.fd());
    if (rc == 0) rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (rc != 0) {
      StopPolling();
      socket_.Close();
      throw Napi::Error::New(env, std::string("uv_poll on netlink socket: ") + uv_strerror(rc));
    }
    // An open socket keeps its JS object (and so this wrapper) alive until close().
    Ref();
  }

  ~NetlinkSocketWrap() override {
    StopPolling();
    socket_.Close();
  }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    static_cast<NetlinkSocketWrap*>(handle->data)->Deliver(status);
  }

  void Deliver(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Value error = env.Null();
    Napi::Array datagrams = Napi::Array::New(env);
    bool overflowed = false;
    // libuv turns POLLERR into UV_EBADF and stops the handle. On netlink POLLERR means a pending
    // socket error, ENOBUFS when notifications were dropped; recv() returns and clears it, so
    // poll again and let Receive() report it.
    int rc = status < 0 && poll_ != nullptr ? uv_poll_start(poll_, UV_READABLE, OnReadable) : 0;
    if (rc != 0) {
      error = SystemError(env, std::system_error(-rc, std::generic_category(), "poll(netlink)")).Value();
    } else {
      try {
        RtnlSocket::Batch batch = socket_.Receive(kDatagramsPerWakeup);
        overflowed = batch.overflowed;
        for (size_t i = 0; i < batch.datagrams.size(); i++) {
          const std::vector<uint8_t>& d = batch.datagrams[i];
          datagrams.Set(i, Napi::Buffer<uint8_t>::Copy(env, d.data(), d.size()));
        }
      } catch (const std::system_error& e) {
        error = SystemError(env, e).Value();
      }
    }
    if (error.IsNull() && datagrams.Length() == 0 && !overflowed) return;
    try {
      onReceive_.MakeCallback(Value(), {error, datagrams, Napi::Boolean::New(env, overflowed)}, async_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "send(datagram: Uint8Array)");
    }
    Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
    if (data.ByteLength() < 16) throw Napi::RangeError::New(env, "a netlink datagram is at least 16 bytes");
    if (!socket_.isOpen()) throw Napi::Error::New(env, "netlink socket is closed");
    try {
      socket_.Send(data.Data(), data.ByteLength());
    } catch (const std::system_error& e) {
      throw SystemError(env, e);
    }
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (socket_.isOpen()) {
      StopPolling();
      socket_.Close();
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value PortId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), socket_.portId());
  }

  // Stops polling before the descriptor closes, as libuv requires; the handle memory is freed
  // once libuv is done with it.
  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }

  RtnlSocket socket_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onReceive_;
  Napi::AsyncContext async_;
};

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("NetlinkSocket", NetlinkSocketWrap::Define(env));
}

}  // namespace viaguard::binding
