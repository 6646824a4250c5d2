// Argument checks shared by the wraps: every JavaScript value is checked here before C++ uses
// it, and a bad one becomes a TypeError or RangeError naming the argument.
#pragma once
#include <napi.h>
#include <uv.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <system_error>

namespace viaguard::binding {

// A failed system call as JavaScript sees one from Node itself: errno (a number) and code ("EADDRINUSE").
inline Napi::Error SystemError(Napi::Env env, const std::system_error& e) {
  Napi::Error error = Napi::Error::New(env, e.what());
  int err = e.code().value();
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, uv_err_name(-err)));
  return error;
}

// An integer number in min..max.
inline double IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, double min,
                         double max) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < min || d > max) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer in " +
                                                std::to_string(static_cast<uint64_t>(min)) + ".." +
                                                std::to_string(static_cast<uint64_t>(max)));
  }
  return d;
}

inline std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

struct ByteView {
  uint8_t* data;
  size_t size;
};

inline bool IsUint8Array(const Napi::Value& v) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

inline ByteView BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !IsUint8Array(info[i])) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  auto a = info[i].As<Napi::Uint8Array>();
  return {a.Data(), a.ByteLength()};
}

// undefined or null stand for "no bytes".
inline ByteView OptionalBytesArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return {nullptr, 0};
  return BytesArg(info, i, name);
}

inline uint64_t U64Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBigInt()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a bigint");
  }
  bool lossless = false;
  const uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be in [0, 2^64)");
  }
  return v;
}

template <typename T, napi_typedarray_type kType>
Napi::TypedArrayOf<T> TypedArg(const Napi::CallbackInfo& info, size_t i, const char* name,
                               const char* typeName) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != kType) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a " + typeName);
  }
  return info[i].As<Napi::TypedArrayOf<T>>();
}

// Two byte ranges either start at the same address or do not touch at all.
inline bool SameOrDisjoint(const ByteView& a, const ByteView& b) {
  if (a.size == 0 || b.size == 0 || a.data == b.data) return true;
  return a.data + a.size <= b.data || b.data + b.size <= a.data;
}

inline bool Disjoint(const ByteView& a, const ByteView& b) {
  if (a.size == 0 || b.size == 0) return true;
  return a.data + a.size <= b.data || b.data + b.size <= a.data;
}

// Runs fn, turning a C++ failure (allocation, OpenSSL) into a JavaScript Error.
template <typename Fn>
auto Guarded(const Napi::Env& env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

}  // namespace viaguard::binding
