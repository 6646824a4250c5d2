// The data plane's crypto workers: a fork-join pool that splits one batch's sealing or opening
// into chunks run by its helper threads and by the calling I/O thread together. The I/O thread
// assigns counters before and consumes results after, in the batch's order, so each peer's
// packets leave and arrive in the order they were read. One lock round per batch (never per
// packet); several I/O threads may run batches at once and the helpers serve them all.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
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
  struct Job {
    Task task;
    void* context;
    size_t count;
    size_t chunk;
    std::atomic<size_t> next{0};
    size_t helpersInside = 0;  // under mu_
  };
  static void Work(Job& job);
  Job* OpenJob();  // under mu_: a job with chunks left, or null
  void HelperLoop();

  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable left_;
  std::vector<Job*> jobs_;
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace viaguard
