// What the data plane tells the control plane. Delivered in batches (see DataPath::TakeEvents).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "allowedips.h"
#include "endpoint.h"

namespace viaguard {

struct DataPathEvent {
  enum class Type {
    kHandshake,         // message (type 1 with valid mac1, 2 with valid mac1, or 3) from endpoint
    kNeedHandshake,     // peer has packets but no usable session, or its session is aging
    kKeypairConfirmed,  // peer's next keypair (localIndex) became current on first use
    kEndpointChanged,   // peer roamed: its authenticated packets now come from endpoint
    kClosed,            // the device went away (reason); the data plane should be closed
  };
  explicit DataPathEvent(Type eventType) : type(eventType) {}

  Type type;
  PeerId peer = kNoPeer;
  uint32_t localIndex = 0;
  Endpoint endpoint;
  std::vector<uint8_t> message;
  std::string reason;
};

}  // namespace viaguard
