// JavaScript object protocolConstants: the data plane's protocol constants (native/
// protocol_constants.h, native/replay.h) under the names src/protocol/constants.ts gives them,
// times in milliseconds, counters as bigint. test/native/protocol-constants.test.ts checks
// that the two languages agree.
#include "binding/modules.h"
#include "protocol_constants.h"
#include "replay.h"

namespace viaguard::binding {

void InitProtocolConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  auto number = [&](const char* name, uint64_t value) {
    c.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  auto ms = [&](const char* name, uint64_t ns) { number(name, ns / (kNsPerSecond / 1000)); };
  c.Set("REKEY_AFTER_MESSAGES", Napi::BigInt::New(env, kRekeyAfterMessages));
  c.Set("REJECT_AFTER_MESSAGES", Napi::BigInt::New(env, kRejectAfterMessages));
  ms("REKEY_AFTER_TIME", kRekeyAfterTime);
  ms("REJECT_AFTER_TIME", kRejectAfterTime);
  ms("REKEY_TIMEOUT", kRekeyTimeout);
  ms("KEEPALIVE_TIMEOUT", kKeepaliveTimeout);
  number("MESSAGE_HANDSHAKE_INITIATION", kMessageHandshakeInitiation);
  number("MESSAGE_HANDSHAKE_RESPONSE", kMessageHandshakeResponse);
  number("MESSAGE_HANDSHAKE_COOKIE", kMessageHandshakeCookie);
  number("MESSAGE_DATA", kMessageData);
  number("HANDSHAKE_INITIATION_LENGTH", kHandshakeInitiationSize);
  number("HANDSHAKE_RESPONSE_LENGTH", kHandshakeResponseSize);
  number("HANDSHAKE_COOKIE_LENGTH", kHandshakeCookieSize);
  number("DATA_HEADER_LENGTH", kDataHeaderSize);
  number("AEAD_TAG_LENGTH", kDataTagSize);
  number("DATA_MIN_LENGTH", kDataMinimumSize);
  number("MAC_LENGTH", kMacSize);
  number("REPLAY_WINDOW_SIZE", ReplayWindow::kWindowSize);
  c.Freeze();
  exports.Set("protocolConstants", c);
}

}  // namespace viaguard::binding
