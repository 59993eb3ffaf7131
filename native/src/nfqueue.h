#pragma once

#include <napi.h>

struct nfq_handle;
struct nfq_q_handle;
struct nfgenmsg;
struct nfq_data;

namespace kapu {

// One NFQUEUE queue opened through libnetfilter_queue, as a JS class.
class NfQueue : public Napi::ObjectWrap<NfQueue> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NfQueue(const Napi::CallbackInfo& info);
  ~NfQueue() override;

 private:
  static int OnPacket(nfq_q_handle* queue, nfgenmsg* message, nfq_data* data, void* self);
  int CopyPacket(nfq_data* data);
  void CloseHandles();

  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value SetVerdict(const Napi::CallbackInfo& info);
  Napi::Value SetVerdictBatch(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);

  nfq_handle* handle_ = nullptr;
  nfq_q_handle* queue_ = nullptr;
  int fd_ = -1;
  uint32_t queue_num_ = 0;
  uint32_t copy_bytes_ = 0xffff;

  // Netlink receive buffer. A message that did not fit into the caller's
  // buffer stays here (pending_bytes_) and is delivered by the next read.
  uint8_t* receive_buffer_ = nullptr;
  size_t receive_buffer_bytes_ = 0;
  size_t pending_bytes_ = 0;
  uint32_t pending_skip_ = 0;

  // State of the read call in progress, used by OnPacket.
  uint8_t* out_ = nullptr;
  size_t out_capacity_ = 0;
  size_t out_used_ = 0;
  uint32_t out_count_ = 0;
  uint32_t message_packets_ = 0;
  bool out_full_ = false;

  double packets_ = 0;
  double bytes_ = 0;
  double enobufs_ = 0;
  double verdict_errors_ = 0;
};

}  // namespace kapu
