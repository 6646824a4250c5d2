// The crypto pool alone (native/crypto_pool.cc with native/aead.cc), without Node or sockets:
// CLIENTS threads (the data plane's transmit and receive threads) each seal batches of 128
// packets of SIZE bytes, spread over 4 keys in runs as a busy data plane's batches are, through
// one pool of WORKERS threads, for SECONDS. Every CHECK-th batch of each client is cleared before
// and compared after with a reference sealed by one thread (CHECK 1: all of them, a stress test
// of the pool's hand-over, built with -fsanitize=thread by `npm run bench:pool -- --tsan`).
// Prints one line, "<sealed packets per second, all clients> <CPU cores the process used>
// <batches> <batches checked>", and
// exits 1 on any wrong byte. Built and run by scripts/bench-pool.ts, which shows the build
// command; the path is VIAGUARD_AEAD's.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "aead.h"
#include "crypto_pool.h"

namespace {

using viaguard::AeadPacket;
using viaguard::ChaChaPoly;
using viaguard::CryptoPool;

constexpr size_t kBatch = 128;  // the data plane's batch (UdpSockets::kMaxBatch)
constexpr size_t kKeys = 4;
constexpr size_t kTag = ChaChaPoly::kTagSize;

// One client's batch: packets of one key lie in runs, as SealTx sees them.
struct Batch {
  std::vector<uint8_t> src;
  std::vector<uint8_t> dst;
  std::vector<uint8_t> expected;
  AeadPacket packets[kBatch];
  ChaChaPoly* keys[kBatch];
};

void SealRuns(void* context, size_t begin, size_t end) {
  Batch& batch = *static_cast<Batch*>(context);
  for (size_t i = begin; i < end;) {
    size_t run = i + 1;
    while (run < end && batch.keys[run] == batch.keys[i]) ++run;
    batch.keys[i]->SealMany(&batch.packets[i], run - i);
    i = run;
  }
}

size_t Arg(char** argv, int i, size_t lowest) {
  const long value = std::strtol(argv[i], nullptr, 10);
  if (value < static_cast<long>(lowest)) {
    std::fprintf(stderr, "argument %d must be at least %zu\n", i, lowest);
    std::exit(2);
  }
  return static_cast<size_t>(value);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s WORKERS SIZE SECONDS CLIENTS CHECK\n", argv[0]);
    return 2;
  }
  const size_t workers = Arg(argv, 1, 1);
  const size_t size = Arg(argv, 2, 0);
  const size_t seconds = Arg(argv, 3, 1);
  const size_t clients = Arg(argv, 4, 1);
  const size_t check = Arg(argv, 5, 1);

  std::vector<std::unique_ptr<ChaChaPoly>> keys;
  for (size_t k = 0; k < kKeys; ++k) {
    uint8_t key[ChaChaPoly::kKeySize];
    for (size_t j = 0; j < sizeof key; ++j) key[j] = static_cast<uint8_t>(k * 37 + j);
    keys.push_back(std::make_unique<ChaChaPoly>(key));
  }
  std::vector<Batch> batches(clients);
  for (size_t c = 0; c < clients; ++c) {
    Batch& b = batches[c];
    b.src.resize(kBatch * size);
    b.dst.resize(kBatch * (size + kTag));
    for (size_t j = 0; j < b.src.size(); ++j) b.src[j] = static_cast<uint8_t>(j * 7 + c);
    for (size_t i = 0; i < kBatch; ++i) {
      // Runs of 8 packets per key, the keys taking turns.
      b.keys[i] = keys[(i / 8) % kKeys].get();
      b.packets[i] = {i + c * kBatch, b.src.data() + i * size, size,
                      b.dst.data() + i * (size + kTag)};
    }
    SealRuns(&b, 0, kBatch);
    b.expected = b.dst;
  }

  CryptoPool pool(workers);
  std::atomic<bool> stop{false};
  std::atomic<bool> wrong{false};
  std::vector<size_t> rounds(clients, 0);
  std::vector<size_t> checked(clients, 0);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Batch& b = batches[c];
      while (!stop.load(std::memory_order_relaxed)) {
        const bool checking = rounds[c]++ % check == 0;
        if (checking) std::memset(b.dst.data(), 0, b.dst.size());
        pool.Run(kBatch, &SealRuns, &b);
        if (checking) {
          ++checked[c];
          if (b.dst != b.expected) wrong.store(true);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  size_t total = 0;
  size_t verified = 0;
  for (size_t c = 0; c < clients; ++c) {
    total += rounds[c];
    verified += checked[c];
  }
  if (wrong.load()) {
    std::fprintf(stderr, "a batch sealed through the pool differs from the reference\n");
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                     (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::printf("%.0f %.2f %zu %zu\n", static_cast<double>(total * kBatch) / took.count(),
              cpu / took.count(), total, verified);
  return 0;
}
