// libIPSec_MB job API for ChaCha20-Poly1305; without the library (VIAGUARD_HAVE_IPSEC_MB unset by
// binding.gyp) Probe() answers kAbsent.
#include "aead_ipsec_mb.h"

#include <stdexcept>
#include <string>

#ifdef VIAGUARD_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>

#include <new>
#endif

namespace viaguard::ipsec_mb {

#ifdef VIAGUARD_HAVE_IPSEC_MB

namespace {

// A manager picks the library's best code for this CPU and checks it with a self-test.
IMB_MGR* NewManager(IMB_ARCH* arch) {
  IMB_MGR* manager = alloc_mb_mgr(0);
  if (!manager) throw std::bad_alloc();
  init_mb_mgr_auto(manager, arch);
  const int error = imb_get_errno(manager);
#ifdef IMB_FEATURE_SELF_TEST  // 1.3 and later
  const bool selfTestFailed = (manager->features & IMB_FEATURE_SELF_TEST) != 0 &&
                              (manager->features & IMB_FEATURE_SELF_TEST_PASS) == 0;
#else
  const bool selfTestFailed = false;
#endif
  if (error != 0 || selfTestFailed) {
    free_mb_mgr(manager);
    throw std::runtime_error(std::string("ipsec-mb: manager setup failed: ") +
                             (error != 0 ? imb_get_strerror(error) : "self-test"));
  }
  return manager;
}

// A manager queues jobs and is not thread-safe: one per thread, freed when the thread ends.
IMB_MGR* ThreadManager() {
  struct Holder {
    IMB_MGR* manager = nullptr;
    ~Holder() {
      if (manager) free_mb_mgr(manager);
    }
  };
  thread_local Holder holder;
  if (!holder.manager) holder.manager = NewManager(nullptr);
  return holder.manager;
}

// Remembers the first failed job's error; the queue is drained before it is reported.
void NoteCompleted(IMB_MGR* manager, const IMB_JOB* job, int* error) {
  if (job->status != IMB_STATUS_COMPLETED && *error == 0) {
    const int code = imb_get_errno(manager);
    *error = code != 0 ? code : -1;
  }
}

}  // namespace

Support Probe() {
  static const Support support = [] {
    IMB_ARCH arch = IMB_ARCH_NONE;
    try {
      free_mb_mgr(NewManager(&arch));
    } catch (const std::exception&) {
      return Support::kAbsent;
    }
    return arch == IMB_ARCH_AVX512 ? Support::kAvx512 : Support::kOther;
  }();
  return support;
}

void Run(const Packet* packets, size_t count, bool seal) {
  IMB_MGR* manager = ThreadManager();
  int error = 0;
  for (size_t i = 0; i < count; ++i) {
    const Packet& p = packets[i];
    IMB_JOB* job = IMB_GET_NEXT_JOB(manager);
    job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
    job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
    job->cipher_direction = seal ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->chain_order = seal ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->enc_keys = p.key;
    job->dec_keys = p.key;
    job->key_len_in_bytes = 32;
    job->iv = p.nonce;
    job->iv_len_in_bytes = 12;
    job->src = p.src;
    job->dst = p.dst;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = p.length;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = p.length;
    job->u.CHACHA20_POLY1305.aad = p.ad;
    job->u.CHACHA20_POLY1305.aad_len_in_bytes = p.adLength;
    job->auth_tag_output = p.tag;
    job->auth_tag_output_len_in_bytes = 16;
    for (job = IMB_SUBMIT_JOB(manager); job; job = IMB_GET_COMPLETED_JOB(manager)) {
      NoteCompleted(manager, job, &error);
    }
  }
  while (IMB_JOB* job = IMB_FLUSH_JOB(manager)) NoteCompleted(manager, job, &error);
  if (error != 0) {
    throw std::runtime_error(std::string("ipsec-mb: ChaCha20-Poly1305 job failed: ") +
                             (error > 0 ? imb_get_strerror(error) : "unknown status"));
  }
}

#else  // !VIAGUARD_HAVE_IPSEC_MB

Support Probe() { return Support::kAbsent; }

void Run(const Packet*, size_t, bool) {
  throw std::logic_error("ipsec-mb: not built in (libipsec-mb-dev was missing at build time)");
}

#endif

}  // namespace viaguard::ipsec_mb
