// The attacker of bench:flood: one process sending UDP datagrams as fast as asked (Node is far
// too slow per packet) from 128 source ports to one destination, with sendmmsg. Bounded in
// packets and in time. bench-flood.ts builds it with the data plane's BLAKE2s:
//   g++ -O2 -std=c++17 -Inative scripts/flood-sender.cc native/blake2s.cc -o flood-sender
// Usage: flood-sender HOST PORT KIND PACKETS_PER_SECOND SECONDS [MAC1_PUBLIC_KEY_HEX]
//   KIND initiation: handshake initiations with random contents and a valid mac1 for the key
//   KIND garbage: random bytes of random length (1..200)
// Prints one line: the number of datagrams sent and the achieved rate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "blake2s.h"

namespace {

constexpr int kSourcePorts = 128;
constexpr size_t kBatch = 64;
constexpr size_t kPool = 4096;  // distinct messages, cycled
constexpr size_t kInitiationSize = 148;
constexpr size_t kMac1Offset = 116;

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool ParseHex(const char* hex, uint8_t* out, size_t length) {
  if (std::strlen(hex) != 2 * length) return false;
  for (size_t i = 0; i < length; ++i) {
    unsigned value;
    if (std::sscanf(hex + 2 * i, "%2x", &value) != 1) return false;
    out[i] = static_cast<uint8_t>(value);
  }
  return true;
}

std::vector<std::vector<uint8_t>> Initiations(const uint8_t publicKey[32], std::mt19937_64& rng) {
  uint8_t label[8 + 32];
  std::memcpy(label, "mac1----", 8);
  std::memcpy(label + 8, publicKey, 32);
  uint8_t key[32];
  viaguard::Blake2s(key, sizeof key, nullptr, 0, label, sizeof label);
  std::vector<std::vector<uint8_t>> pool(kPool, std::vector<uint8_t>(kInitiationSize, 0));
  for (std::vector<uint8_t>& m : pool) {
    m[0] = 1;  // type: initiation, reserved bytes zero
    for (size_t i = 4; i < kMac1Offset; ++i) m[i] = static_cast<uint8_t>(rng());
    viaguard::Blake2s(m.data() + kMac1Offset, 16, key, sizeof key, m.data(), kMac1Offset);
  }
  return pool;
}

std::vector<std::vector<uint8_t>> Garbage(std::mt19937_64& rng) {
  std::vector<std::vector<uint8_t>> pool(kPool);
  for (std::vector<uint8_t>& m : pool) {
    m.resize(1 + rng() % 200);
    for (uint8_t& b : m) b = static_cast<uint8_t>(rng());
  }
  return pool;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s HOST PORT initiation|garbage PACKETS_PER_SECOND SECONDS [MAC1_PUBLIC_KEY_HEX]\n", argv[0]);
    return 2;
  }
  sockaddr_storage to{};
  socklen_t toLength;
  auto* to4 = reinterpret_cast<sockaddr_in*>(&to);
  auto* to6 = reinterpret_cast<sockaddr_in6*>(&to);
  int port = std::atoi(argv[2]);
  if (inet_pton(AF_INET, argv[1], &to4->sin_addr) == 1) {
    to4->sin_family = AF_INET;
    to4->sin_port = htons(static_cast<uint16_t>(port));
    toLength = sizeof *to4;
  } else if (inet_pton(AF_INET6, argv[1], &to6->sin6_addr) == 1) {
    to6->sin6_family = AF_INET6;
    to6->sin6_port = htons(static_cast<uint16_t>(port));
    toLength = sizeof *to6;
  } else {
    std::fprintf(stderr, "flood-sender: not an IP address: %s\n", argv[1]);
    return 2;
  }
  std::string kind = argv[3];
  double rate = std::atof(argv[4]);
  double seconds = std::atof(argv[5]);
  if (rate <= 0 || seconds <= 0 || seconds > 600 || port <= 0 || port > 65535) {
    std::fprintf(stderr, "flood-sender: bad rate, duration or port\n");
    return 2;
  }
  std::mt19937_64 rng(std::random_device{}());
  std::vector<std::vector<uint8_t>> pool;
  if (kind == "initiation") {
    uint8_t publicKey[32];
    if (argc < 7 || !ParseHex(argv[6], publicKey, sizeof publicKey)) {
      std::fprintf(stderr, "flood-sender: initiation needs the responder's public key in hex\n");
      return 2;
    }
    pool = Initiations(publicKey, rng);
  } else if (kind == "garbage") {
    pool = Garbage(rng);
  } else {
    std::fprintf(stderr, "flood-sender: unknown kind %s\n", kind.c_str());
    return 2;
  }

  int fds[kSourcePorts];
  for (int& fd : fds) {
    fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      std::perror("flood-sender: socket");
      return 1;
    }
  }
  const uint64_t limit = static_cast<uint64_t>(rate * seconds);
  mmsghdr headers[kBatch];
  iovec iovs[kBatch];
  uint64_t sent = 0;
  size_t next = 0;
  const double start = Now();
  for (int turn = 0; sent < limit; ++turn) {
    double elapsed = Now() - start;
    if (elapsed >= seconds) break;
    // Pace: never ahead of rate; behind it, send at once.
    double ahead = static_cast<double>(sent) / rate - elapsed;
    if (ahead > 0) {
      timespec pause{0, static_cast<long>(ahead * 1e9)};
      nanosleep(&pause, nullptr);
    }
    size_t count = std::min<uint64_t>(kBatch, limit - sent);
    for (size_t i = 0; i < count; ++i) {
      std::vector<uint8_t>& m = pool[next++ % kPool];
      iovs[i] = {m.data(), m.size()};
      headers[i] = {};
      headers[i].msg_hdr.msg_name = &to;
      headers[i].msg_hdr.msg_namelen = toLength;
      headers[i].msg_hdr.msg_iov = &iovs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fds[turn % kSourcePorts], headers, static_cast<unsigned>(count), 0);
    if (n < 0 && errno != EINTR && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED) {
      std::perror("flood-sender: sendmmsg");
      return 1;
    }
    if (n > 0) sent += static_cast<uint64_t>(n);
  }
  double took = Now() - start;
  std::printf("%llu %.0f\n", static_cast<unsigned long long>(sent), static_cast<double>(sent) / took);
  for (int fd : fds) close(fd);
  return 0;
}
