// The batch record layout shared by the NFQUEUE and AF_PACKET readers.
// src/capture/packet-batch.ts parses the same layout; change both together.
//
// A read call fills the caller's buffer with records back to back. Each
// record is a 40-byte header in host byte order (little-endian on the
// platforms kapu builds for) followed by the captured bytes, padded with
// zeros to a multiple of 8 bytes. The timestamp is the kernel's when it
// has one (always for AF_PACKET, rarely for forwarded NFQUEUE packets) and
// the read time otherwise.
//
//   offset  size  field
//        0     4  packet id (NFQUEUE id for verdicts; AF_PACKET sequence number)
//        4     4  captured length (bytes that follow the header)
//        8     4  original length on the wire (>= captured length)
//       12     4  timestamp, seconds since the Unix epoch
//       16     4  timestamp, nanoseconds
//       20     4  netfilter mark (NFQUEUE), 0 for AF_PACKET
//       24     4  NFQA_SKB_INFO flags (NFQUEUE), 0 for AF_PACKET
//       28     4  input interface index, 0 when unknown
//       32     4  output interface index, 0 when unknown
//       36     2  hardware protocol (EtherType), host byte order
//       38     1  netfilter hook number (NFQUEUE), 0 for AF_PACKET
//       39     1  packet type (AF_PACKET sll_pkttype), 0 for NFQUEUE
//       40     n  captured bytes (an IP packet for NFQUEUE, a frame for AF_PACKET)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kapu {

constexpr size_t kRecordHeaderBytes = 40;

struct RecordHeader {
  uint32_t id;
  uint32_t captured_length;
  uint32_t original_length;
  uint32_t timestamp_sec;
  uint32_t timestamp_nsec;
  uint32_t mark;
  uint32_t skb_info;
  uint32_t in_ifindex;
  uint32_t out_ifindex;
  uint16_t hw_protocol;
  uint8_t hook;
  uint8_t packet_type;
};
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the JS parser reads records as little-endian");
static_assert(sizeof(RecordHeader) == kRecordHeaderBytes, "record header must be 40 bytes");

inline size_t PaddedRecordBytes(size_t captured_length) {
  return (kRecordHeaderBytes + captured_length + 7) & ~static_cast<size_t>(7);
}

// Writes the header at `out` and zeroes the padding after `captured_length`
// payload bytes, which the caller has already placed (or places) at out + 40.
inline void WriteRecordHeader(uint8_t* out, const RecordHeader& header) {
  std::memcpy(out, &header, kRecordHeaderBytes);
  size_t end = kRecordHeaderBytes + header.captured_length;
  size_t padded = PaddedRecordBytes(header.captured_length);
  if (padded > end) std::memset(out + end, 0, padded - end);
}

}  // namespace kapu
