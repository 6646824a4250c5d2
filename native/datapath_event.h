// What the data plane tells the control plane. Delivered in batches (see DataPlane::TakeEvents).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "address_key.h"
#include "allowedips.h"
#include "endpoint.h"

namespace viaguard {

struct DataPlaneEvent {
  enum class Type {
    kHandshake,         // message (type 1 with valid mac1, 2 with valid mac1, or 3) from endpoint
    kNeedHandshake,     // peer has packets but no usable session, or its session is aging
    kKeypairConfirmed,  // peer's next keypair (localIndex) became current on first use
    kEndpointChanged,   // peer roamed: its authenticated packets now come from endpoint
    kClosed,            // the device went away (reason); the data plane should be closed
    kResolveSource,     // `route` source check: may peer send from address to destination?
    kAddressLearnt,     // route mode: peer's packets came from a link-local address it now owns
  };
  explicit DataPlaneEvent(Type eventType) : type(eventType) {}

  Type type;
  PeerId peer = kNoPeer;
  uint32_t localIndex = 0;
  Endpoint endpoint;
  std::vector<uint8_t> message;
  std::string reason;
  AddressKey address;
  AddressKey destination;  // kResolveSource: the packet's destination (one of ours)
  uint64_t generation = 0;
  bool underLoad = false;  // kHandshake: the receive thread was rate-limiting handshakes
};

}  // namespace viaguard
