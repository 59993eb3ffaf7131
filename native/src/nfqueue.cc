#include "nfqueue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
}

#include "buffer-arg.h"
#include "record.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace kapu {

namespace {

// Largest copy range the kernel accepts for NFQNL_COPY_PACKET.
constexpr uint32_t kMaxCopyBytes = 0xffff;
// One netlink message carries one queued packet: the copied bytes plus
// less than 1 KiB of attributes. Twice the copy range leaves ample room.
constexpr size_t kReceiveBufferBytes = 2 * (kMaxCopyBytes + 1);

uint32_t OptionUint32(Napi::Object options, const char* key, uint32_t fallback) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return fallback;
  return value.As<Napi::Number>().Uint32Value();
}

bool OptionBool(Napi::Object options, const char* key, bool fallback) {
  Napi::Value value = options.Get(key);
  if (value.IsUndefined()) return fallback;
  return value.ToBoolean().Value();
}

// Reads NFQA_CAP_LEN, the packet length before the copy range cut it.
// libnetfilter_queue 1.0.5 has no getter for it, so this reads the parsed
// attribute table that its private struct nfq_data has as its only member.
uint32_t OriginalLength(nfq_data* data, uint32_t captured) {
  nfattr** attributes = *reinterpret_cast<nfattr***>(data);
  nfattr* cap_len = attributes[NFQA_CAP_LEN - 1];
  if (cap_len == nullptr) return captured;
  uint32_t value;
  std::memcpy(&value, NFA_DATA(cap_len), sizeof(value));
  return ntohl(value);
}

std::string ErrnoMessage(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

}  // namespace

Napi::Function NfQueue::Define(Napi::Env env) {
  return DefineClass(env, "NfQueue",
                     {
                         InstanceMethod<&NfQueue::Read>("read"),
                         InstanceMethod<&NfQueue::SetVerdict>("setVerdict"),
                         InstanceMethod<&NfQueue::SetVerdictBatch>("setVerdictBatch"),
                         InstanceMethod<&NfQueue::Stats>("stats"),
                         InstanceMethod<&NfQueue::Close>("close"),
                         InstanceAccessor<&NfQueue::GetFd>("fd"),
                     });
}

// new NfQueue(queueNum, { copyBytes, maxLength, receiveBufferBytes, gso, failOpen })
NfQueue::NfQueue(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NfQueue>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "NfQueue: queue number must be a number").ThrowAsJavaScriptException();
    return;
  }
  queue_num_ = info[0].As<Napi::Number>().Uint32Value();
  Napi::Object options = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  copy_bytes_ = OptionUint32(options, "copyBytes", kMaxCopyBytes);
  if (copy_bytes_ == 0 || copy_bytes_ > kMaxCopyBytes) copy_bytes_ = kMaxCopyBytes;
  uint32_t max_length = OptionUint32(options, "maxLength", 4096);
  uint32_t receive_buffer_bytes = OptionUint32(options, "receiveBufferBytes", 8 * 1024 * 1024);
  bool gso = OptionBool(options, "gso", true);
  bool fail_open = OptionBool(options, "failOpen", false);

  auto fail = [&](const char* what) {
    int error = errno;
    CloseHandles();
    Napi::Error::New(env, ErrnoMessage(what, error)).ThrowAsJavaScriptException();
  };

  handle_ = nfq_open();
  if (handle_ == nullptr) { fail("nfq_open failed"); return; }
  queue_ = nfq_create_queue(handle_, static_cast<uint16_t>(queue_num_), &NfQueue::OnPacket, this);
  if (queue_ == nullptr) { fail("nfq_create_queue failed (is another program bound to this queue, or is this not root?)"); return; }
  if (nfq_set_mode(queue_, NFQNL_COPY_PACKET, copy_bytes_) < 0) { fail("nfq_set_mode failed"); return; }
  if (nfq_set_queue_maxlen(queue_, max_length) < 0) { fail("nfq_set_queue_maxlen failed"); return; }

  uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
  uint32_t flags = (gso ? NFQA_CFG_F_GSO : 0) | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
  if (nfq_set_queue_flags(queue_, mask, flags) < 0) { fail("nfq_set_queue_flags failed"); return; }

  fd_ = nfq_fd(handle_);
  nfnl_rcvbufsiz(nfq_nfnlh(handle_), receive_buffer_bytes);
  // Without this, a full socket buffer makes recv fail with ENOBUFS; the
  // kernel then counts the lost packets in queue_dropped instead.
  int one = 1;
  setsockopt(fd_, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
  int fd_flags = fcntl(fd_, F_GETFL);
  if (fd_flags < 0 || fcntl(fd_, F_SETFL, fd_flags | O_NONBLOCK) < 0) { fail("fcntl O_NONBLOCK failed"); return; }

  receive_buffer_bytes_ = kReceiveBufferBytes;
  receive_buffer_ = static_cast<uint8_t*>(std::malloc(receive_buffer_bytes_));
  if (receive_buffer_ == nullptr) { fail("out of memory"); return; }
}

NfQueue::~NfQueue() { CloseHandles(); }

void NfQueue::CloseHandles() {
  if (queue_ != nullptr) nfq_destroy_queue(queue_);
  if (handle_ != nullptr) nfq_close(handle_);
  queue_ = nullptr;
  handle_ = nullptr;
  fd_ = -1;
  std::free(receive_buffer_);
  receive_buffer_ = nullptr;
  pending_bytes_ = 0;
}

int NfQueue::OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* self) {
  return static_cast<NfQueue*>(self)->CopyPacket(data);
}

int NfQueue::CopyPacket(nfq_data* data) {
  // A message re-handled after a full buffer skips the packets it already delivered.
  uint32_t index = message_packets_++;
  if (index < pending_skip_ || out_full_) return 0;

  unsigned char* payload = nullptr;
  int payload_length = nfq_get_payload(data, &payload);
  if (payload_length < 0) payload_length = 0;
  size_t record_bytes = PaddedRecordBytes(static_cast<size_t>(payload_length));
  if (out_capacity_ - out_used_ < record_bytes) {
    out_full_ = true;
    pending_skip_ = index;
    return 0;
  }

  RecordHeader header{};
  nfqnl_msg_packet_hdr* packet_header = nfq_get_msg_packet_hdr(data);
  if (packet_header != nullptr) {
    header.id = ntohl(packet_header->packet_id);
    header.hw_protocol = ntohs(packet_header->hw_protocol);
    header.hook = packet_header->hook;
  }
  header.captured_length = static_cast<uint32_t>(payload_length);
  header.original_length = OriginalLength(data, header.captured_length);
  timeval tv;
  if (nfq_get_timestamp(data, &tv) == 0 && tv.tv_sec != 0) {
    header.timestamp_sec = static_cast<uint32_t>(tv.tv_sec);
    header.timestamp_nsec = static_cast<uint32_t>(tv.tv_usec) * 1000;
  } else {
    // Forwarded packets usually carry no kernel timestamp: use the read time.
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    header.timestamp_sec = static_cast<uint32_t>(now.tv_sec);
    header.timestamp_nsec = static_cast<uint32_t>(now.tv_nsec);
  }
  header.mark = nfq_get_nfmark(data);
  header.skb_info = nfq_get_skbinfo(data);
  header.in_ifindex = nfq_get_indev(data);
  header.out_ifindex = nfq_get_outdev(data);

  uint8_t* record = out_ + out_used_;
  if (payload_length > 0) std::memcpy(record + kRecordHeaderBytes, payload, static_cast<size_t>(payload_length));
  WriteRecordHeader(record, header);
  out_used_ += record_bytes;
  out_count_++;
  packets_ += 1;
  bytes_ += payload_length;
  return 0;
}

// read(buffer, timeoutMs) -> number of records written, or -errno.
// Waits up to timeoutMs (0: do not wait, -1: forever) for the first packet,
// then drains the queued messages without waiting, until the buffer is full.
Napi::Value NfQueue::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (handle_ == nullptr) {
    Napi::Error::New(env, "NfQueue.read: the queue is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  BufferArg buffer = GetBufferArg(info, 0);
  if (buffer.data == nullptr) return env.Undefined();
  if (buffer.length < PaddedRecordBytes(copy_bytes_)) {
    Napi::RangeError::New(env, "NfQueue.read: the buffer must hold at least " +
                                   std::to_string(PaddedRecordBytes(copy_bytes_)) + " bytes (one full-size record)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int timeout_ms = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;

  out_ = buffer.data;
  out_capacity_ = buffer.length;
  out_used_ = 0;
  out_count_ = 0;
  out_full_ = false;

  if (pending_bytes_ > 0) {
    message_packets_ = 0;
    nfq_handle_packet(handle_, reinterpret_cast<char*>(receive_buffer_), static_cast<int>(pending_bytes_));
    if (out_full_) return Napi::Number::New(env, out_count_);
    pending_bytes_ = 0;
    pending_skip_ = 0;
  }

  if (out_count_ == 0 && timeout_ms != 0) {
    pollfd waiter{fd_, POLLIN, 0};
    int ready = poll(&waiter, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) return Napi::Number::New(env, -errno);
  }

  for (;;) {
    ssize_t received = recv(fd_, receive_buffer_, receive_buffer_bytes_, MSG_DONTWAIT);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        enobufs_ += 1;
        continue;
      }
      if (out_count_ > 0) break;
      return Napi::Number::New(env, -errno);
    }
    message_packets_ = 0;
    pending_skip_ = 0;
    nfq_handle_packet(handle_, reinterpret_cast<char*>(receive_buffer_), static_cast<int>(received));
    if (out_full_) {
      pending_bytes_ = static_cast<size_t>(received);
      break;
    }
  }
  return Napi::Number::New(env, out_count_);
}

// setVerdict(id, verdict, mark?) -> 0, or errno when sending failed.
Napi::Value NfQueue::SetVerdict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (queue_ == nullptr) return Napi::Number::New(env, EBADF);
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  uint32_t verdict = info[1].As<Napi::Number>().Uint32Value();
  int result;
  if (info.Length() > 2 && info[2].IsNumber()) {
    result = nfq_set_verdict2(queue_, id, verdict, info[2].As<Napi::Number>().Uint32Value(), 0, nullptr);
  } else {
    result = nfq_set_verdict(queue_, id, verdict, 0, nullptr);
  }
  if (result < 0) {
    verdict_errors_ += 1;
    return Napi::Number::New(env, errno);
  }
  return Napi::Number::New(env, 0);
}

// setVerdictBatch(maxId, verdict, mark?) -> 0, or errno. Applies the verdict
// to every packet still waiting with an id up to and including maxId.
Napi::Value NfQueue::SetVerdictBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (queue_ == nullptr) return Napi::Number::New(env, EBADF);
  uint32_t max_id = info[0].As<Napi::Number>().Uint32Value();
  uint32_t verdict = info[1].As<Napi::Number>().Uint32Value();
  int result;
  if (info.Length() > 2 && info[2].IsNumber()) {
    result = nfq_set_verdict_batch2(queue_, max_id, verdict, info[2].As<Napi::Number>().Uint32Value());
  } else {
    result = nfq_set_verdict_batch(queue_, max_id, verdict);
  }
  if (result < 0) {
    verdict_errors_ += 1;
    return Napi::Number::New(env, errno);
  }
  return Napi::Number::New(env, 0);
}

Napi::Value NfQueue::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("packets", packets_);
  stats.Set("bytes", bytes_);
  stats.Set("enobufs", enobufs_);
  stats.Set("verdictErrors", verdict_errors_);
  return stats;
}

Napi::Value NfQueue::Close(const Napi::CallbackInfo& info) {
  CloseHandles();
  return info.Env().Undefined();
}

Napi::Value NfQueue::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

}  // namespace kapu
