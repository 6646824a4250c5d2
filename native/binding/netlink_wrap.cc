// JavaScript face of viaguard::RtnlSocket: `new NetlinkSocket(groups, netnsPath, onReceive)`.
// The event loop polls the descriptor (uv_poll, no thread, no busy polling) and hands each
// readable burst to onReceive(error, datagrams, overflowed) on the JS thread.
#include <uv.h>

#include <string>
#include <system_error>
#include <vector>

#include "binding/modules.h"
#include "binding/napi_args.h"
#include "netlink.h"

namespace viaguard::binding {

namespace {

// Upper bound on datagrams handed to JS per wakeup, so a full-table dump cannot starve the loop;
// the poll is level-triggered and fires again while data remains.
constexpr size_t kDatagramsPerWakeup = 256;

// The same Error as SystemError() (napi_args.h), built with the C API, whose failures can be handled.
napi_status MakeSystemError(napi_env env, const std::system_error& e, napi_value* out) {
  int err = e.code().value();
  napi_value message, errnoValue, code;
  napi_status status = napi_create_string_utf8(env, e.what(), NAPI_AUTO_LENGTH, &message);
  if (status == napi_ok) status = napi_create_error(env, nullptr, message, out);
  if (status == napi_ok) status = napi_create_int32(env, err, &errnoValue);
  if (status == napi_ok) status = napi_set_named_property(env, *out, "errno", errnoValue);
  if (status == napi_ok) status = napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  if (status == napi_ok) status = napi_set_named_property(env, *out, "code", code);
  return status;
}

// The uv_poll handle outlives its wrapper until libuv has closed it. An async cleanup hook makes
// an ending environment (a worker exiting) wait for that close, so libuv never calls back into
// an addon that has already been unloaded.
struct PollHandle {
  uv_poll_t uv;  // first member: the uv_handle_t* libuv hands back is the PollHandle*
  napi_async_cleanup_hook_handle cleanup = nullptr;
  bool closing = false;
};

// Stops polling (required before the descriptor closes) and frees the handle once libuv is done.
void ClosePoll(PollHandle* p) {
  if (p->closing) return;
  p->closing = true;
  p->uv.data = nullptr;
  uv_poll_stop(&p->uv);
  uv_close(reinterpret_cast<uv_handle_t*>(&p->uv), [](uv_handle_t* h) {
    PollHandle* closed = reinterpret_cast<PollHandle*>(h);
    if (closed->cleanup != nullptr) napi_remove_async_cleanup_hook(closed->cleanup);
    delete closed;
  });
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
    poll_ = new PollHandle;
    int rc = uv_poll_init(loop, &poll_->uv, socket_.fd());
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      socket_.Close();
      throw Napi::Error::New(env, std::string("uv_poll_init on netlink socket: ") + uv_strerror(rc));
    }
    poll_->uv.data = this;
    rc = uv_poll_start(&poll_->uv, UV_READABLE, OnReadable);
    if (rc == 0 && napi_add_async_cleanup_hook(env, OnEnvCleanup, poll_, &poll_->cleanup) != napi_ok) rc = UV_ENOMEM;
    if (rc != 0) {
      Shutdown();
      throw Napi::Error::New(env, std::string("polling the netlink socket: ") + uv_strerror(rc));
    }
    // An open socket keeps its JS object (and so this wrapper) alive until close().
    Ref();
  }

  ~NetlinkSocketWrap() override { Shutdown(); }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    if (handle->data != nullptr) static_cast<NetlinkSocketWrap*>(handle->data)->Deliver(status);
  }

  void Deliver(int status) {
    // libuv turns POLLERR into UV_EBADF and stops the handle. On netlink POLLERR means a pending
    // socket error, ENOBUFS when notifications were dropped; recv() returns and clears it, so
    // poll again and let Receive() report it.
    int rc = status < 0 && poll_ != nullptr ? uv_poll_start(&poll_->uv, UV_READABLE, OnReadable) : 0;
    RtnlSocket::Batch batch;
    std::system_error failure(0, std::generic_category());
    bool failed = rc != 0;
    if (failed) {
      failure = std::system_error(-rc, std::generic_category(), "poll(netlink)");
    } else {
      try {
        batch = socket_.Receive(kDatagramsPerWakeup);
      } catch (const std::system_error& e) {
        failure = e;
        failed = true;
      }
    }
    if (!failed && batch.datagrams.empty() && !batch.overflowed) return;
    // While its environment shuts down (a worker exiting) JS cannot run and N-API calls fail;
    // node-addon-api would abort on such a failure, so this path uses the C API and stops
    // polling instead.
    if (!CallOnReceive(failed ? &failure : nullptr, batch)) Shutdown();
  }

  bool CallOnReceive(const std::system_error* failure, const RtnlSocket::Batch& batch) {
    napi_env env = Env();
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
    napi_value args[3];
    napi_value callback = onReceive_.Value();
    bool ok = (failure != nullptr ? MakeSystemError(env, *failure, &args[0]) : napi_get_null(env, &args[0])) == napi_ok &&
              napi_create_array_with_length(env, batch.datagrams.size(), &args[1]) == napi_ok &&
              napi_get_boolean(env, batch.overflowed, &args[2]) == napi_ok;
    for (size_t i = 0; ok && i < batch.datagrams.size(); i++) {
      const std::vector<uint8_t>& d = batch.datagrams[i];
      napi_value buffer;
      ok = napi_create_buffer_copy(env, d.size(), d.data(), nullptr, &buffer) == napi_ok &&
           napi_set_element(env, args[1], i, buffer) == napi_ok;
    }
    if (ok) {
      napi_value result;
      if (napi_make_callback(env, async_, Value(), callback, 3, args, &result) != napi_ok) {
        // The callback threw: hand the exception to process 'uncaughtException'.
        bool pending = false;
        napi_value exception;
        ok = napi_is_exception_pending(env, &pending) == napi_ok && pending &&
             napi_get_and_clear_last_exception(env, &exception) == napi_ok &&
             napi_fatal_exception(env, exception) == napi_ok;
      }
    }
    napi_close_handle_scope(env, scope);
    return ok;
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
      Shutdown();
      Unref();
    }
    return info.Env().Undefined();
  }

  static void OnEnvCleanup(napi_async_cleanup_hook_handle /*handle*/, void* arg) {
    PollHandle* p = static_cast<PollHandle*>(arg);
    if (p->uv.data != nullptr) static_cast<NetlinkSocketWrap*>(p->uv.data)->Shutdown();
    else ClosePoll(p);
  }

  void Shutdown() {
    if (poll_ != nullptr) ClosePoll(poll_);
    poll_ = nullptr;
    socket_.Close();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_->uv));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_->uv));
    return info.Env().Undefined();
  }

  Napi::Value PortId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), socket_.portId());
  }

  RtnlSocket socket_;
  PollHandle* poll_ = nullptr;
  Napi::FunctionReference onReceive_;
  Napi::AsyncContext async_;
};

}  // namespace

void InitNetlink(Napi::Env env, Napi::Object exports) {
  exports.Set("NetlinkSocket", NetlinkSocketWrap::Define(env));
}

}  // namespace viaguard::binding
