// kapu's native addon: kernel packet I/O through NFQUEUE and AF_PACKET, and raw IP sockets.
#include <napi.h>

#include "af_packet.h"
#include "nfqueue.h"
#include "raw_sender.h"
#include "record.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NfQueue", kapu::NfQueue::Define(env));
  exports.Set("AfPacket", kapu::AfPacket::Define(env));
  exports.Set("RawSender", kapu::RawSender::Define(env));
  exports.Set("RECORD_HEADER_BYTES", Napi::Number::New(env, kapu::kRecordHeaderBytes));
  return exports;
}

}  // namespace

NODE_API_MODULE(kapu_native, Init)
