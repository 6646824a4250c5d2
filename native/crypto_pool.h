// The data plane's crypto workers: a fork-join pool that splits one batch's sealing or opening
// into chunks run by its helper threads and by the calling I/O thread together. The I/O thread
// assigns counters before and consumes results after, in the batch's order, so each peer's
// packets leave and arrive in the order they were read.
//
// No lock and no queue shared by all batches, so nothing every packet crosses but its own batch:
//  - Each helper has its own slot, a one-job mailbox (an atomic pointer, null when empty) on its
//    own cache line. Run() describes the batch in a Job on its stack and posts it into as many
//    idle mailboxes as the batch has chunks to share (one compare-and-swap each), starting at a
//    different helper each call, so several I/O threads spread over the helpers.
//  - Whoever runs a job (the caller and each helper that took it) claims chunks of the batch
//    with one fetch_add on the job's own cursor until none is left: a preempted helper delays no
//    chunk, it just claims fewer.
//  - A helper takes a posted job by exchanging its mailbox with null; after its own chunks the
//    caller takes back (compare-and-swap job -> null) every post no helper took, so exactly one
//    of them owns each post. It then waits only for the helpers that took one: the job's count
//    of them drops to zero (release) as each finishes, and the caller sleeps on it (futex) only
//    after a short spin.
//  - An idle helper spins briefly on its mailbox (batches come back to back under load), then
//    sleeps on its own futex word; a poster wakes it only when it announced that it sleeps.
// Per batch: one CAS per helper asked (and one to take back an untaken post), one fetch_add per
// chunk, a futex wake per helper that was asleep; nothing per packet. Several I/O threads may run
// batches at once.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace viaguard {

// More workers than this would only queue for the same batches.
constexpr size_t kMaxCryptoThreads = 256;

class CryptoPool {
 public:
  // Processes items [begin, end) of the batch described by context.
  using Task = void (*)(void* context, size_t begin, size_t end);

  // threads >= 1 counts the caller: threads - 1 helpers are started.
  explicit CryptoPool(size_t threads);
  ~CryptoPool();
  CryptoPool(const CryptoPool&) = delete;
  CryptoPool& operator=(const CryptoPool&) = delete;

  size_t Threads() const { return helpers_.size() + 1; }

  // Runs task over [0, count) in chunks and returns when every chunk is done. With no helpers,
  // or a batch too small to share, the caller runs it alone.
  void Run(size_t count, Task task, void* context);

  // The number of threads the process may run on (sched_getaffinity), at least 1.
  static size_t UsableCpus();

 private:
  struct Job;
  struct alignas(64) Slot {
    std::atomic<Job*> mailbox{nullptr};
    std::atomic<uint32_t> sleeping{0};  // futex word: 1 while the helper sleeps or is about to
  };
  void HelperLoop(Slot& slot);
  void WakeHelper(Slot& slot);

  std::unique_ptr<Slot[]> slots_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> helpers_;
};

}  // namespace viaguard
