#include "raw_sender.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "buffer-arg.h"

namespace kapu {

namespace {

constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv6HeaderBytes = 40;

// Opens a raw socket of `family` whose packets carry their own IP header.
// Linux implies IP_HDRINCL, and for IPv6 IPV6_HDRINCL, on an IPPROTO_RAW
// socket. IPV6_HDRINCL is set as well where the kernel supports the option
// (Linux 4.5 and later), and an older kernel's error is ignored.
// Returns the socket or -1 with errno set.
int OpenRawSocket(int family, const std::string& interface_name) {
  int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return -1;
  int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one));
  if (!interface_name.empty() &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface_name.c_str(), interface_name.size()) < 0) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

}  // namespace

Napi::Function RawSender::Define(Napi::Env env) {
  return DefineClass(env, "RawSender",
                     {
                         InstanceMethod<&RawSender::Send>("send"),
                         InstanceMethod<&RawSender::Close>("close"),
                     });
}

// new RawSender({ interfaceName })
// Throws when neither an IPv4 nor an IPv6 raw socket opens (without root or
// CAP_NET_RAW). When one family fails, sends of that family return EBADF.
RawSender::RawSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSender>(info) {
  Napi::Env env = info.Env();
  std::string interface_name;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value name = info[0].As<Napi::Object>().Get("interfaceName");
    if (name.IsString()) interface_name = name.As<Napi::String>().Utf8Value();
  }
  fd4_ = OpenRawSocket(AF_INET, interface_name);
  int error4 = fd4_ < 0 ? errno : 0;
  fd6_ = OpenRawSocket(AF_INET6, interface_name);
  if (fd4_ < 0 && fd6_ < 0) {
    std::string message = std::string("socket(AF_INET, SOCK_RAW) failed (this needs root or CAP_NET_RAW): ") +
                          std::strerror(error4);
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
  }
}

RawSender::~RawSender() { CloseSockets(); }

void RawSender::CloseSockets() {
  if (fd4_ >= 0) close(fd4_);
  if (fd6_ >= 0) close(fd6_);
  fd4_ = -1;
  fd6_ = -1;
}

// send(packet, length): sends bytes [0, length) of `packet`, an IPv4 or IPv6
// packet with its header, to the destination address in that header.
// Returns 0, or an errno (EINVAL for a packet that is not IPv4 or IPv6,
// EBADF after close, EAGAIN when the socket buffer is full).
Napi::Value RawSender::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "send(packet, length): length must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  BufferArg packet = GetBufferArg(info, 0);
  if (packet.data == nullptr) return env.Undefined();
  size_t length = info[1].As<Napi::Number>().Uint32Value();
  if (length > packet.length || length < kIpv4HeaderBytes) return Napi::Number::New(env, EINVAL);

  ssize_t sent = -1;
  int version = packet.data[0] >> 4;
  if (version == 4) {
    if (fd4_ < 0) return Napi::Number::New(env, EBADF);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, packet.data + 16, 4);
    sent = sendto(fd4_, packet.data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  } else if (version == 6 && length >= kIpv6HeaderBytes) {
    if (fd6_ < 0) return Napi::Number::New(env, EBADF);
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, packet.data + 24, 16);
    sent = sendto(fd6_, packet.data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  } else {
    return Napi::Number::New(env, EINVAL);
  }
  return Napi::Number::New(env, sent < 0 ? errno : 0);
}

Napi::Value RawSender::Close(const Napi::CallbackInfo& info) {
  CloseSockets();
  return info.Env().Undefined();
}

}  // namespace kapu
