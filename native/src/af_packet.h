#pragma once

#include <napi.h>

namespace kapu {

// A raw AF_PACKET socket bound to one interface, as a JS class.
class AfPacket : public Napi::ObjectWrap<AfPacket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AfPacket(const Napi::CallbackInfo& info);
  ~AfPacket() override;

 private:
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetIfIndex(const Napi::CallbackInfo& info);

  int fd_ = -1;
  int ifindex_ = 0;
  uint32_t snap_bytes_ = 0;
  uint32_t next_id_ = 0;
  double kernel_packets_ = 0;
  double kernel_drops_ = 0;
};

}  // namespace kapu
