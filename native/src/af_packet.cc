#include "af_packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "buffer-arg.h"
#include "record.h"

namespace kapu {

namespace {

constexpr uint32_t kDefaultSnapBytes = 65535;
constexpr uint32_t kMaxSnapBytes = 262144;

std::string ErrnoMessage(const std::string& what, int error) { return what + ": " + std::strerror(error); }

}  // namespace

Napi::Function AfPacket::Define(Napi::Env env) {
  return DefineClass(env, "AfPacket",
                     {
                         InstanceMethod<&AfPacket::Read>("read"),
                         InstanceMethod<&AfPacket::Stats>("stats"),
                         InstanceMethod<&AfPacket::Close>("close"),
                         InstanceAccessor<&AfPacket::GetFd>("fd"),
                         InstanceAccessor<&AfPacket::GetIfIndex>("ifIndex"),
                     });
}

// new AfPacket(interfaceName, { promiscuous, snapBytes, receiveBufferBytes })
AfPacket::AfPacket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AfPacket>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "AfPacket: interface name must be a string").ThrowAsJavaScriptException();
    return;
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Napi::Object options = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  bool promiscuous = options.Get("promiscuous").ToBoolean().Value();
  Napi::Value snap = options.Get("snapBytes");
  snap_bytes_ = snap.IsNumber() ? snap.As<Napi::Number>().Uint32Value() : kDefaultSnapBytes;
  if (snap_bytes_ == 0 || snap_bytes_ > kMaxSnapBytes) snap_bytes_ = kDefaultSnapBytes;
  Napi::Value receive_buffer = options.Get("receiveBufferBytes");
  int receive_buffer_bytes = receive_buffer.IsNumber() ? receive_buffer.As<Napi::Number>().Int32Value() : 8 * 1024 * 1024;

  auto fail = [&](const std::string& what) {
    int error = errno;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    Napi::Error::New(env, ErrnoMessage(what, error)).ThrowAsJavaScriptException();
  };

  ifindex_ = static_cast<int>(if_nametoindex(name.c_str()));
  if (ifindex_ == 0) { fail("interface '" + name + "' not found"); return; }

  // Protocol 0 receives nothing until bind, so no frame from another
  // interface slips in between socket() and bind().
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) { fail("socket(AF_PACKET) failed (this needs root or CAP_NET_RAW)"); return; }

  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes, sizeof(receive_buffer_bytes)) < 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
  }
  int one = 1;
  if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) { fail("SO_TIMESTAMPNS failed"); return; }

  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0) { fail("bind to '" + name + "' failed"); return; }

  if (promiscuous) {
    packet_mreq membership{};
    membership.mr_ifindex = ifindex_;
    membership.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof(membership)) < 0) {
      { fail("promiscuous mode on '" + name + "' failed"); return; }
    }
  }
}

AfPacket::~AfPacket() {
  if (fd_ >= 0) close(fd_);
}

// read(buffer, timeoutMs) -> number of records written, or -errno.
// Waits up to timeoutMs (0: do not wait, -1: forever) for the first frame,
// then reads the queued frames until the buffer has no room for a
// full-size record. Frames are received straight into the caller's buffer.
Napi::Value AfPacket::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) {
    Napi::Error::New(env, "AfPacket.read: the socket is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  BufferArg buffer = GetBufferArg(info, 0);
  if (buffer.data == nullptr) return env.Undefined();
  size_t full_record = PaddedRecordBytes(snap_bytes_);
  if (buffer.length < full_record) {
    Napi::RangeError::New(env, "AfPacket.read: the buffer must hold at least " + std::to_string(full_record) +
                                   " bytes (one full-size record)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int timeout_ms = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;

  if (timeout_ms != 0) {
    pollfd waiter{fd_, POLLIN, 0};
    int ready = poll(&waiter, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) return Napi::Number::New(env, -errno);
  }

  size_t used = 0;
  uint32_t count = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  while (buffer.length - used >= full_record) {
    uint8_t* record = buffer.data + used;
    sockaddr_ll from{};
    iovec io{record + kRecordHeaderBytes, snap_bytes_};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof(from);
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);

    // MSG_TRUNC makes a packet socket return the frame's full length.
    ssize_t received = recvmsg(fd_, &message, MSG_DONTWAIT | MSG_TRUNC);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (count > 0) break;
      return Napi::Number::New(env, -errno);
    }

    RecordHeader header{};
    header.id = next_id_++;
    header.original_length = static_cast<uint32_t>(received);
    header.captured_length = received > static_cast<ssize_t>(snap_bytes_) ? snap_bytes_ : static_cast<uint32_t>(received);
    header.in_ifindex = static_cast<uint32_t>(from.sll_ifindex);
    header.hw_protocol = ntohs(from.sll_protocol);
    header.packet_type = from.sll_pkttype;
    bool has_timestamp = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec stamp;
        std::memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
        header.timestamp_sec = static_cast<uint32_t>(stamp.tv_sec);
        header.timestamp_nsec = static_cast<uint32_t>(stamp.tv_nsec);
        has_timestamp = true;
      }
    }
    if (!has_timestamp) {
      timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      header.timestamp_sec = static_cast<uint32_t>(now.tv_sec);
      header.timestamp_nsec = static_cast<uint32_t>(now.tv_nsec);
    }
    WriteRecordHeader(record, header);
    used += PaddedRecordBytes(header.captured_length);
    count++;
  }
  return Napi::Number::New(env, count);
}

// stats() -> { packets, drops }: the kernel's PACKET_STATISTICS, summed over
// calls (the kernel resets them on each read).
Napi::Value AfPacket::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ >= 0) {
    tpacket_stats stats{};
    socklen_t length = sizeof(stats);
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) {
      kernel_packets_ += stats.tp_packets;
      kernel_drops_ += stats.tp_drops;
    }
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("packets", kernel_packets_);
  result.Set("drops", kernel_drops_);
  return result;
}

Napi::Value AfPacket::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  return info.Env().Undefined();
}

Napi::Value AfPacket::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

Napi::Value AfPacket::GetIfIndex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }

}  // namespace kapu
