#include "address_key.h"

#include <arpa/inet.h>

namespace viaguard {

bool AddressKey::Parse(const std::string& text, AddressKey* out) {
  AddressKey key;
  if (inet_pton(AF_INET, text.c_str(), key.bytes) == 1) {
    key.family = Family::kIpv4;
  } else if (inet_pton(AF_INET6, text.c_str(), key.bytes) == 1) {
    key.family = Family::kIpv6;
  } else {
    return false;
  }
  *out = key;
  return true;
}

std::string AddressKey::Text() const {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::kIpv4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

}  // namespace viaguard
