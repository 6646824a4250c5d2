#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace viaguard {

int RunInNetns(const std::string& netnsPath, const std::function<int()>& create) {
  if (netnsPath.empty()) return create();
  int result = 0;
  int failedErrno = 0;
  const char* failedStep = nullptr;
  std::thread worker([&] {
    int nsFd = open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsFd < 0) {
      failedErrno = errno;
      failedStep = "open network namespace";
      return;
    }
    int rc = setns(nsFd, CLONE_NEWNET);
    int setnsErrno = errno;
    close(nsFd);
    if (rc != 0) {
      failedErrno = setnsErrno;
      failedStep = "setns(CLONE_NEWNET)";
      return;
    }
    result = create();
  });
  worker.join();
  if (failedStep != nullptr) {
    throw std::system_error(failedErrno, std::generic_category(),
                            std::string(failedStep) + " " + netnsPath);
  }
  return result;
}

}  // namespace viaguard
