#pragma once

#include <napi.h>

namespace kapu {

// Raw IPv4 and IPv6 sockets that send whole IP packets built in JS (the
// header included), as a JS class. Reject responses go out through it.
class RawSender : public Napi::ObjectWrap<RawSender> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit RawSender(const Napi::CallbackInfo& info);
  ~RawSender() override;

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void CloseSockets();

  int fd4_ = -1;
  int fd6_ = -1;
};

}  // namespace kapu
