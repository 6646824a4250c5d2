#include "crypto_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace viaguard {
namespace {

// Fewer packets than this per chunk cost more in hand-over than the crypto they share.
constexpr size_t kMinChunk = 4;

}  // namespace

size_t CryptoPool::UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int count = CPU_COUNT(&set);
  return count > 0 ? static_cast<size_t>(count) : 1;
}

CryptoPool::CryptoPool(size_t threads) {
  for (size_t i = 1; i < std::max<size_t>(threads, 1); ++i) {
    helpers_.emplace_back([this] { HelperLoop(); });
  }
}

CryptoPool::~CryptoPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (std::thread& helper : helpers_) helper.join();
}

void CryptoPool::Work(Job& job) {
  for (;;) {
    size_t begin = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
    if (begin >= job.count) return;
    job.task(job.context, begin, std::min(job.count, begin + job.chunk));
  }
}

CryptoPool::Job* CryptoPool::OpenJob() {
  for (Job* job : jobs_) {
    if (job->next.load(std::memory_order_relaxed) < job->count) return job;
  }
  return nullptr;
}

void CryptoPool::Run(size_t count, Task task, void* context) {
  const size_t threads = Threads();
  size_t chunk = std::max(kMinChunk, (count + threads - 1) / threads);
  if (threads == 1 || count <= chunk) {
    if (count > 0) task(context, 0, count);
    return;
  }
  Job job;
  job.task = task;
  job.context = context;
  job.count = count;
  job.chunk = chunk;
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(&job);
  }
  work_.notify_all();
  Work(job);
  std::unique_lock lock(mu_);
  jobs_.erase(std::find(jobs_.begin(), jobs_.end(), &job));
  // Every chunk is taken; wait for the helpers still running one of them.
  left_.wait(lock, [&] { return job.helpersInside == 0; });
}

void CryptoPool::HelperLoop() {
  pthread_setname_np(pthread_self(), "viaguard-crypto");
  std::unique_lock lock(mu_);
  for (;;) {
    Job* job = nullptr;
    work_.wait(lock, [&] { return stop_ || (job = OpenJob()) != nullptr; });
    if (stop_) return;
    ++job->helpersInside;
    lock.unlock();
    Work(*job);
    lock.lock();
    if (--job->helpersInside == 0) left_.notify_all();
  }
}

}  // namespace viaguard
