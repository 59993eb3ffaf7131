#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace kapu {

struct BufferArg {
  uint8_t* data;
  size_t length;
};

// Returns the bytes of argument `index`, which must be an ArrayBuffer or a
// typed array. On a wrong type it throws a TypeError and returns data == nullptr.
inline BufferArg GetBufferArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (value.IsTypedArray()) {
    Napi::TypedArray view = value.As<Napi::TypedArray>();
    uint8_t* base = static_cast<uint8_t*>(view.ArrayBuffer().Data());
    return BufferArg{base + view.ByteOffset(), view.ByteLength()};
  }
  if (value.IsArrayBuffer()) {
    Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
    return BufferArg{static_cast<uint8_t*>(buffer.Data()), buffer.ByteLength()};
  }
  Napi::TypeError::New(info.Env(), "the buffer argument must be an ArrayBuffer or a Uint8Array")
      .ThrowAsJavaScriptException();
  return BufferArg{nullptr, 0};
}

}  // namespace kapu
