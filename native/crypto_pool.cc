#include "crypto_pool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <exception>

namespace viaguard {
namespace {

// Fewer packets than this per chunk cost more in hand-over than the crypto they share.
constexpr size_t kMinChunk = 4;

// How long an idle helper polls its mailbox, or a caller its helpers, before sleeping: about
// one batch's crypto, so back-to-back batches find the helpers awake.
constexpr std::chrono::microseconds kSpin{20};

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a futex word is 32 bits");

uint32_t* FutexWord(std::atomic<uint32_t>& word) { return reinterpret_cast<uint32_t*>(&word); }

// Sleeps while word holds expected (returns at once otherwise, or spuriously).
void FutexWait(std::atomic<uint32_t>& word, uint32_t expected) {
  syscall(SYS_futex, FutexWord(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, FutexWord(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls done() for up to kSpin; whether it became true.
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

}  // namespace

// One batch, on the stack of the Run() that shares it.
struct CryptoPool::Job {
  // Set in working by the caller once it sleeps on it.
  static constexpr uint32_t kWaiter = 0x80000000u;

  Task task;
  void* context;
  size_t count;
  size_t chunk;
  std::atomic<size_t> next{0};
  // Helpers asked and not yet done; the caller subtracts those it asked in vain.
  std::atomic<uint32_t> working{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // written by whoever set failed first

  Job(Task t, void* c, size_t n, size_t k) : task(t), context(c), count(n), chunk(k) {}

  // Claims chunks until none is left. A task's exception stops nobody else's chunks; Run()
  // rethrows the first.
  void Work() {
    try {
      for (;;) {
        const size_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
        if (begin >= count) return;
        task(context, begin, std::min(count, begin + chunk));
      }
    } catch (...) {
      if (!failed.exchange(true, std::memory_order_relaxed)) error = std::current_exception();
      next.store(count, std::memory_order_relaxed);
    }
  }

  // A helper is done with the job. The caller may return (and free it) as soon as the count
  // reaches zero, so only the address is used after that, for the caller's wake-up.
  void Leave() {
    if (working.fetch_sub(1, std::memory_order_acq_rel) == (kWaiter | 1)) FutexWake(working);
  }

  void AwaitHelpers() {
    auto done = [&] { return (working.load(std::memory_order_acquire) & ~kWaiter) == 0; };
    if (SpinUntil(done)) return;
    uint32_t seen = working.load(std::memory_order_acquire);
    while ((seen & ~kWaiter) != 0) {
      if ((seen & kWaiter) == 0 &&
          !working.compare_exchange_weak(seen, seen | kWaiter, std::memory_order_acquire)) {
        continue;
      }
      FutexWait(working, seen | kWaiter);
      seen = working.load(std::memory_order_acquire);
    }
  }
};

size_t CryptoPool::UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int count = CPU_COUNT(&set);
  return count > 0 ? static_cast<size_t>(count) : 1;
}

CryptoPool::CryptoPool(size_t threads) {
  const size_t helpers = std::max<size_t>(threads, 1) - 1;
  slots_.reset(new Slot[helpers]);
  for (size_t i = 0; i < helpers; ++i) {
    helpers_.emplace_back([this, i] { HelperLoop(slots_[i]); });
  }
}

CryptoPool::~CryptoPool() {
  stop_.store(true, std::memory_order_seq_cst);
  for (size_t i = 0; i < helpers_.size(); ++i) WakeHelper(slots_[i]);
  for (std::thread& helper : helpers_) helper.join();
}

void CryptoPool::WakeHelper(Slot& slot) {
  // Pairs with the helper's store of 1 before its last look at the mailbox and stop_.
  if (slot.sleeping.exchange(0, std::memory_order_seq_cst) == 1) FutexWake(slot.sleeping);
}

void CryptoPool::Run(size_t count, Task task, void* context) {
  const size_t threads = Threads();
  const size_t chunk = std::max(kMinChunk, (count + threads - 1) / threads);
  if (threads == 1 || count <= chunk) {
    if (count > 0) task(context, 0, count);
    return;
  }
  Job job(task, context, count, chunk);
  const size_t helpers = helpers_.size();
  const size_t wanted = std::min(helpers, (count + chunk - 1) / chunk - 1);
  job.working.store(static_cast<uint32_t>(wanted), std::memory_order_relaxed);
  // Each I/O thread starts its round at another helper each time.
  thread_local size_t rotor = 0;
  const size_t start = rotor++;
  uint16_t asked[kMaxCryptoThreads];
  size_t posts = 0;
  for (size_t k = 0; k < helpers && posts < wanted; ++k) {
    const size_t h = (start + k) % helpers;
    Slot& slot = slots_[h];
    Job* empty = nullptr;
    if (slot.mailbox.load(std::memory_order_relaxed) != nullptr ||
        !slot.mailbox.compare_exchange_strong(empty, &job, std::memory_order_seq_cst)) {
      continue;  // this helper has a job waiting already
    }
    WakeHelper(slot);
    asked[posts++] = static_cast<uint16_t>(h);
  }
  job.Work();
  // Every chunk is claimed: take back the posts no helper took, then wait for those that did.
  uint32_t unused = static_cast<uint32_t>(wanted - posts);
  for (size_t i = 0; i < posts; ++i) {
    Job* mine = &job;
    if (slots_[asked[i]].mailbox.compare_exchange_strong(mine, nullptr, std::memory_order_relaxed)) {
      ++unused;
    }
  }
  if (unused > 0) job.working.fetch_sub(unused, std::memory_order_relaxed);
  job.AwaitHelpers();
  if (job.failed.load(std::memory_order_relaxed)) std::rethrow_exception(job.error);
}

void CryptoPool::HelperLoop(Slot& slot) {
  pthread_setname_np(pthread_self(), "viaguard-crypto");
  auto posted = [&] {
    return slot.mailbox.load(std::memory_order_relaxed) != nullptr ||
           stop_.load(std::memory_order_relaxed);
  };
  for (;;) {
    Job* job = slot.mailbox.load(std::memory_order_relaxed) != nullptr
                   ? slot.mailbox.exchange(nullptr, std::memory_order_acquire)
                   : nullptr;
    if (job) {
      job->Work();
      job->Leave();
      continue;
    }
    if (stop_.load(std::memory_order_acquire)) return;
    if (SpinUntil(posted)) continue;
    slot.sleeping.store(1, std::memory_order_seq_cst);
    if (slot.mailbox.load(std::memory_order_seq_cst) == nullptr &&
        !stop_.load(std::memory_order_seq_cst)) {
      FutexWait(slot.sleeping, 1);
    }
    slot.sleeping.store(0, std::memory_order_relaxed);
  }
}

}  // namespace viaguard
